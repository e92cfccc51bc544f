"""Dealer care API under /api/v1/dealer-care: new dealers' onboarding, the welcome pack and the hand-off."""
from __future__ import annotations

from flask.views import MethodView

from core.accounts.auth import actor, roles_required
from core.api import Blueprint
from core.idempotency import idempotent
from core.pagination import paginate
from dealercare import onboarding
from dealercare import schemas as s

blp = Blueprint("dealercare_api", __name__, url_prefix="/api/v1/dealer-care",
                description="Dealer care: the new dealer's welcome call, welcome pack and hand-off")


@blp.route("/onboardings")
class Onboardings(MethodView):
    @roles_required(*onboarding.STAFF)
    @blp.arguments(s.OnboardingListArgs, location="query")
    @blp.response(200, s.OnboardingPageSchema)
    def get(self, args):
        """New dealers' onboardings, newest first (``open=false``: including those handed off)."""
        return paginate(onboarding.onboardings(actor(), open_only=args["open"]), args["page"], args["per_page"])


@blp.route("/onboardings/<int:dealer_id>")
class OnboardingOne(MethodView):
    @roles_required(*onboarding.STAFF)
    @blp.response(200, s.OnboardingSchema)
    def get(self, dealer_id):
        """One dealer's onboarding."""
        return onboarding.get_onboarding(actor(), dealer_id)


@blp.route("/onboardings/<int:dealer_id>/welcome-pack")
class WelcomePack(MethodView):
    @roles_required(*onboarding.STAFF)
    @idempotent
    @blp.response(200, s.OnboardingSchema)
    def post(self, dealer_id):
        """E-mail the policy documents to the dealer, once, after the welcome call (409 if sent already)."""
        user = actor()
        return onboarding.send_welcome_pack(user, onboarding.get_onboarding(user, dealer_id))


@blp.route("/onboardings/<int:dealer_id>/hand-off")
class HandOff(MethodView):
    @roles_required(*onboarding.STAFF)
    @idempotent
    @blp.response(200, s.OnboardingSchema)
    def post(self, dealer_id):
        """E-mail the completed dealer file to the channel department, once (409 if handed off already)."""
        user = actor()
        return onboarding.hand_off(user, onboarding.get_onboarding(user, dealer_id))
