"""Directory pages."""
from flask import Blueprint

bp = Blueprint("directory", __name__, template_folder="templates", url_prefix="/directory")
