"""Dealer care API under /api/v1/dealer-care: new dealers' onboarding, the welcome pack and the hand-off."""
from __future__ import annotations

from flask.views import MethodView

from core.accounts.auth import actor, roles_required
from core.api import Blueprint
from core.idempotency import idempotent
from core.pagination import paginate
from core.schemas import PageArgs
from dealercare import onboarding, survey, survey_summary
from dealercare import schemas as s

blp = Blueprint("dealercare_api", __name__, url_prefix="/api/v1/dealer-care",
                description="Dealer care: the new dealer's welcome call, welcome pack and hand-off; "
                            "the quarterly dealer satisfaction survey")


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


# --------------------------------------------------------------------------- the quarterly survey

@blp.route("/surveys")
class Surveys(MethodView):
    @roles_required(*survey.STAFF)
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, s.SurveyPageSchema)
    def get(self, args):
        """Every quarter's survey, newest quarter first."""
        return paginate(survey.surveys(actor()), args["page"], args["per_page"])

    @roles_required(*survey.STAFF)
    @idempotent
    @blp.arguments(s.SurveyArgs)
    @blp.response(201, s.SurveySchema)
    def post(self, args):
        """Start a quarter's survey with the previous quarter's questions (409 if the quarter has one)."""
        return survey.create_survey(actor(), args["quarter"], args["deadline"])


@blp.route("/surveys/<int:survey_id>")
class SurveyOne(MethodView):
    @roles_required(*survey.STAFF)
    @blp.response(200, s.SurveySchema)
    def get(self, survey_id):
        """One quarter's survey and its questions."""
        return survey.get_survey(actor(), survey_id)


@blp.route("/surveys/<int:survey_id>/questions")
class SurveyQuestions(MethodView):
    @roles_required(*survey.STAFF)
    @idempotent
    @blp.arguments(s.QuestionArgs)
    @blp.response(201, s.SurveySchema)
    def post(self, args, survey_id):
        """Add a question rated 1-5 (409 once the survey is sent)."""
        user = actor()
        item = survey.get_survey(user, survey_id)
        survey.add_question(user, item, args["text"], args["brand_id"])
        return item


@blp.route("/surveys/<int:survey_id>/questions/<int:question_id>")
class SurveyQuestionOne(MethodView):
    @roles_required(*survey.STAFF)
    @blp.response(200, s.SurveySchema)
    def delete(self, survey_id, question_id):
        """Take a question off the questionnaire (409 once the survey is sent)."""
        user = actor()
        return survey.remove_question(user, survey.get_survey(user, survey_id), question_id)


@blp.route("/surveys/<int:survey_id>/send")
class SurveySend(MethodView):
    @roles_required(*survey.STAFF)
    @idempotent
    @blp.response(200, s.SentSchema)
    def post(self, survey_id):
        """E-mail every active dealer with an e-mail address its personal link, once (409 if sent)."""
        user = actor()
        item = survey.get_survey(user, survey_id)
        return {"survey": item, "mailed": survey.send_survey(user, item)}


@blp.route("/surveys/<int:survey_id>/reminders")
class SurveyReminders(MethodView):
    @roles_required(*survey.STAFF)
    @idempotent
    @blp.response(200, s.SentSchema)
    def post(self, survey_id):
        """Remind the dealers who have not answered, each at most once a day; ``mailed``: how many."""
        user = actor()
        item = survey.get_survey(user, survey_id)
        return {"survey": item, "mailed": survey.send_reminders(user, item)}


@blp.route("/surveys/<int:survey_id>/results")
class SurveyResults(MethodView):
    @roles_required(*survey.STAFF)
    @blp.response(200, s.ResultsSchema)
    def get(self, survey_id):
        """Response rate and average score per question, overall, per region and per brand."""
        return survey_summary.results(survey.get_survey(actor(), survey_id))


@blp.route("/surveys/<int:survey_id>/summary-mail")
class SurveySummaryMail(MethodView):
    @roles_required(*survey.STAFF)
    @idempotent
    @blp.response(200, s.SurveySchema)
    def post(self, survey_id):
        """E-mail the summary (XLSX and PDF) to every department with an e-mail address, once."""
        user = actor()
        return survey_summary.mail_summary(user, survey.get_survey(user, survey_id))
