from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

COMPLAINT_KINDS = [
    SelectChoice("extra_document", _l("I was asked for a document the rules do not require")),
    SelectChoice("delay", _l("My case is late or I waited too long")),
    SelectChoice("refusal", _l("I was refused without a lawful ground")),
    SelectChoice("rudeness", _l("Rudeness or unfair treatment")),
    SelectChoice("inducement", _l("A bribe, gift or other inducement was asked for or offered")),
    SelectChoice("other", _l("Something else")),
]


class MultiCheckboxField(SelectMultipleField):
    """Several choices as checkboxes (WTForms' documented recipe): easier on a phone than a list."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CaseStatusForm(FlaskForm):
    case_number = StringField(_l("Case number"), validators=[DataRequired(), Length(max=80)])
    check_code = StringField(_l("Check code"), validators=[DataRequired(), Length(max=12)])


class ComplaintForm(FlaskForm):
    kind = SelectField(_l("What happened?"), choices=COMPLAINT_KINDS, validators=[DataRequired()])
    case_number = StringField(_l("Case number, if you have one"), validators=[Optional(), Length(max=80)])
    # Only a listed service or office (the view sets the choices): any other code named no
    # office to route the complaint to, and a long one was a 500 on PostgreSQL (issue 22).
    service_code = SelectField(_l("Service"), choices=[], default="")
    office_code = SelectField(_l("Office"), choices=[], default="")
    text = TextAreaField(_l("Describe what happened"), validators=[DataRequired(), Length(min=10, max=5000)])
    contact = StringField(_l("Your phone or e-mail (optional: leave empty to stay anonymous)"),
                          validators=[Optional(), Length(max=200)])
    # A honeypot: hidden from people, filled in by spam robots.
    website = StringField(_l("Leave this field empty"), validators=[Optional(), Length(max=200)])


class ErrorReportForm(FlaskForm):
    """"This page is wrong or out of date": what is wrong, and a contact only if wanted."""

    text = TextAreaField(_l("What is wrong or out of date on this page?"),
                         validators=[DataRequired(), Length(min=10, max=3000)])
    contact = StringField(_l("Your phone or e-mail (optional: leave empty to stay anonymous)"),
                          validators=[Optional(), Length(max=200)])
    website = StringField(_l("Leave this field empty"), validators=[Optional(), Length(max=200)])


class FollowUpForm(FlaskForm):
    reference = StringField(_l("Reference number"), validators=[DataRequired(), Length(max=20)])
    code = StringField(_l("Follow-up code"), validators=[DataRequired(), Length(max=12)])


class AnswerForm(FlaskForm):
    """The applicant's answer about one visit: "is this what happened?" (services.witness)."""

    visit_id = HiddenField(validators=[DataRequired(), Length(max=120)])
    verdict = RadioField(_l("Is this what happened?"), choices=[
        SelectChoice("confirmed", _l("Yes, this is what happened")),
        SelectChoice("disputed", _l("No, something was different"))],
        validators=[DataRequired(message=_l("Choose yes or no"))])
    documents = MultiCheckboxField(_l("I was asked for these documents, which are not in the log"), choices=[],
                                   validate_choice=False)
    # The applicant's own words: never machine-translated (translate="no").
    typed_documents = TextAreaField(_l("Other documents I was asked for (one per line)"),
                                    validators=[Optional(), Length(max=500)], render_kw={"translate": "no"})
    told_to_return = BooleanField(_l("I was told to come back, but no return is logged"))
    asked_to_pay = BooleanField(_l("I was asked to pay more than the fee, or for a gift"))
    sent_elsewhere = BooleanField(_l("I was sent to another office"))
    waited_minutes = IntegerField(_l("I waited this many minutes in the queue (if longer than logged)"),
                                  validators=[Optional(), NumberRange(min=0, max=1440)])
    account = TextAreaField(_l("What happened, in your words (optional)"), validators=[Optional(), Length(max=2000)],
                            render_kw={"translate": "no"})
