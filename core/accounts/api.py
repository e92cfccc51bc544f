"""Accounts API: who am I, and my API tokens."""
from types import SimpleNamespace

from flask.views import MethodView
from core.api import Blueprint

from core.accounts import service
from core.accounts.auth import actor, login_required
from core.accounts.schemas import MeSchema, NewTokenSchema, TokenArgs, TokenSchema
from core.idempotency import idempotent

blp = Blueprint("accounts_api", __name__, url_prefix="/api/v1", description="Accounts and API tokens")


@blp.route("/me")
class Me(MethodView):
    @login_required
    @blp.response(200, MeSchema)
    def get(self):
        """The signed-in user."""
        return actor()


@blp.route("/tokens")
class Tokens(MethodView):
    @login_required
    @blp.response(200, TokenSchema(many=True))
    def get(self):
        """List my API tokens."""
        return service.tokens_of(actor())

    @login_required
    @idempotent(secret=True)
    @blp.arguments(TokenArgs)
    @blp.response(201, NewTokenSchema)
    def post(self, args):
        """Create an API token; the token itself is in this response only."""
        token, plain = service.create_token(actor(), args["name"])
        fields = TokenSchema().fields
        return SimpleNamespace(token=plain, **{name: getattr(token, name) for name in fields})


@blp.route("/tokens/<int:token_id>")
class TokenItem(MethodView):
    @login_required
    @blp.response(200, TokenSchema)
    def delete(self, token_id):
        """Revoke a token."""
        return service.revoke_token(actor(), token_id)
