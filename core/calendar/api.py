"""Calendar API."""
from flask_smorest import Blueprint

blp = Blueprint("calendar_api", __name__, url_prefix="/api/v1", description="Working-day calendar")
