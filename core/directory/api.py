"""Directory API."""
from flask_smorest import Blueprint

blp = Blueprint("directory_api", __name__, url_prefix="/api/v1", description="Dealers, offices, factories, routes")
