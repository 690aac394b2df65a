"""Home page: what can be reported, the channels, and the notice (举报须知)."""
from flask import Blueprint, render_template

bp = Blueprint("main", __name__)


@bp.get("/")
def index() -> str:
    return render_template("main/index.html")


@bp.get("/notice")
def notice() -> str:
    return render_template("main/notice.html")
