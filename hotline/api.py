"""Hotline API under /api/v1/hotline: the log, answers, referrals, e-mail replies, the standard answers."""
from __future__ import annotations

from flask.views import MethodView

from core.accounts.auth import actor, roles_required
from core.api import Blueprint
from core.idempotency import idempotent
from core.pagination import paginate
from hotline import answers, log, replies, service
from hotline import schemas as s

blp = Blueprint("hotline_api", __name__, url_prefix="/api/v1/hotline",
                description="Hotline and e-mail desk: questions, answers, the standard answers library")


@blp.route("/entries")
class Entries(MethodView):
    @roles_required(*service.READERS)
    @blp.arguments(s.EntryListArgs, location="query")
    @blp.response(200, s.EntryPageSchema)
    def get(self, args):
        """The log, newest first (``state=waiting``: not answered yet)."""
        state = None if args["state"] == "all" else args["state"]
        stmt = service.entries(actor(), state=state, channel=args["channel"], brand_id=args["brand_id"],
                               category=args["category"], q=args["q"])
        return paginate(stmt, args["page"], args["per_page"])

    @roles_required(*service.DESK)
    @idempotent
    @blp.arguments(s.EntryCreateArgs)
    @blp.response(201, s.EntryDetailSchema)
    def post(self, args):
        """Log a question (phone or e-mail): answered at once, sent to a department, or waiting."""
        return log.log_question(actor(), **args)


@blp.route("/entries/<int:entry_id>")
class EntryOne(MethodView):
    @roles_required(*service.READERS)
    @blp.response(200, s.EntryDetailSchema)
    def get(self, entry_id):
        """One entry with its e-mails and attachments."""
        return service.get_entry(actor(), entry_id)

    @roles_required(*service.DESK)
    @blp.arguments(s.ClassifyArgs)
    @blp.response(200, s.EntryDetailSchema)
    def patch(self, args, entry_id):
        """Say who asked, the brand and the category (an e-mail comes without them)."""
        entry = service.get_entry(actor(), entry_id)
        return log.classify(actor(), entry, asker=args.get("asker"), category=args.get("category"),
                            brand_id=args.get("brand_id"), brand_given="brand_id" in args)


@blp.route("/entries/<int:entry_id>/answer")
class EntryAnswer(MethodView):
    @roles_required(*service.DESK)
    @idempotent
    @blp.arguments(s.AnswerArgs)
    @blp.response(200, s.EntryDetailSchema)
    def post(self, args, entry_id):
        """Record the answer given (a question with a department: its task is answered with it)."""
        entry = service.get_entry(actor(), entry_id)
        return log.answer(actor(), entry, args["answer"], standard_answer_id=args["standard_answer_id"])


@blp.route("/entries/<int:entry_id>/refer")
class EntryRefer(MethodView):
    @roles_required(*service.DESK)
    @idempotent
    @blp.arguments(s.ReferArgs)
    @blp.response(200, s.EntryDetailSchema)
    def post(self, args, entry_id):
        """Send the question to the department that answers it (a task due one working day after it was asked)."""
        entry = service.get_entry(actor(), entry_id)
        return log.refer(actor(), entry, args["department_id"], args["note"])


@blp.route("/entries/<int:entry_id>/reply")
class EntryReply(MethodView):
    @roles_required(*service.DESK)
    @idempotent
    @blp.arguments(s.ReplyArgs)
    @blp.response(201, s.MessageSchema)
    def post(self, args, entry_id):
        """Answer an e-mail by e-mail, in its thread (In-Reply-To, References)."""
        entry = service.get_entry(actor(), entry_id)
        return replies.send_reply(actor(), entry, args["body"])


@blp.route("/entries/<int:entry_id>/standard-answer")
class EntryToLibrary(MethodView):
    @roles_required(*service.DESK)
    @idempotent
    @blp.arguments(s.FromEntryArgs)
    @blp.response(201, s.StandardAnswerSchema)
    def post(self, args, entry_id):
        """Keep an answered question's answer in the library: a new standard answer, or ``answer_id`` updated."""
        entry = service.get_entry(actor(), entry_id)
        return answers.from_entry(actor(), entry, answer_id=args["answer_id"], question=args["question"],
                                  answer=args["answer"])


@blp.route("/answers")
class Answers(MethodView):
    @roles_required(*service.READERS)
    @blp.arguments(s.AnswerSearchArgs, location="query")
    @blp.response(200, s.StandardAnswerListSchema)
    def get(self, args):
        """Search the standard answers (Chinese or not), best first; the log page asks this while typing."""
        return {"items": answers.search(actor(), args["q"], brand_id=args["brand_id"], category=args["category"],
                                        limit=args["limit"])}

    @roles_required(*service.DESK)
    @idempotent
    @blp.arguments(s.StandardAnswerArgs)
    @blp.response(201, s.StandardAnswerSchema)
    def post(self, args):
        """Add a standard answer."""
        return answers.create(actor(), **args)


@blp.route("/answers/<int:answer_id>")
class AnswerOne(MethodView):
    @roles_required(*service.READERS)
    @blp.response(200, s.StandardAnswerSchema)
    def get(self, answer_id):
        """One standard answer."""
        return answers.get_answer(actor(), answer_id)

    @roles_required(*service.DESK)
    @blp.arguments(s.StandardAnswerUpdateArgs)
    @blp.response(200, s.StandardAnswerSchema)
    def patch(self, args, answer_id):
        """Change a standard answer."""
        return answers.update(actor(), answers.get_answer(actor(), answer_id), **args)
