from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

COMPLAINT_KINDS = [
    SelectChoice("extra_document", _l("I was asked for a document the rules do not require")),
    SelectChoice("delay", _l("My case is late or I waited too long")),
    SelectChoice("refusal", _l("I was refused without a lawful ground")),
    SelectChoice("rudeness", _l("Rudeness or unfair treatment")),
    SelectChoice("inducement", _l("A bribe, gift or other inducement was asked for or offered")),
    SelectChoice("other", _l("Something else")),
]


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
