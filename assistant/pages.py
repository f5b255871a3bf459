"""Public pages: the demo help page, the widget loader, the chat page, health."""

from flask import Blueprint
from flask import current_app
from flask import jsonify
from flask import render_template
from flask import send_from_directory
from sqlalchemy import text

from assistant.extensions import db
from assistant.extensions import limiter

bp = Blueprint("pages", __name__)


@bp.get("/")
def demo():
    return render_template("demo.html", widget_src="/widget.js")


@bp.get("/widget.js")
@limiter.exempt
def widget():
    response = send_from_directory(
        current_app.static_folder, "widget.js", mimetype="text/javascript", max_age=300
    )
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/chat")
def chat_page():
    return render_template(
        "chat.html",
        brand=current_app.config["BRAND_NAME"],
        brand_color=current_app.config["BRAND_COLOR"],
    )


@bp.get("/healthz")
@limiter.exempt
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means not healthy
        db.session.rollback()
        return jsonify({"status": "unavailable"}), 503
    return jsonify({"status": "ok"})
