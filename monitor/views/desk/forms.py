from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from ..validators import ExistingOffice, PlausibleDate

ACTION_LABELS = [
    SelectChoice("submit", _l("Submit: the package is handed in")),
    SelectChoice("return", _l("Return: documents are missing")),
    SelectChoice("resubmit", _l("Resubmit after a return")),
    SelectChoice("forward", _l("Forward to another office or unit")),
    SelectChoice("issue", _l("Issue the result")),
    SelectChoice("refuse", _l("Refuse (lawful ground)")),
    SelectChoice("withdraw", _l("Withdrawn by the applicant")),
    SelectChoice("consult", _l("Consultation only")),
]
TIME_FORMAT = "%Y-%m-%dT%H:%M"


class CheckboxList(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class VisitForm(FlaskForm):
    service_code = HiddenField(_l("Service"), validators=[DataRequired()])
    action = RadioField(_l("What happens at this visit?"), choices=ACTION_LABELS, default="submit",
                        validators=[DataRequired(message=_l("Choose what happens at this visit."))])
    case_number = StringField(_l("Case number (for a follow-up visit)"),
                              validators=[Optional(), Length(max=80)])
    applicant_ref = StringField(_l("Applicant IIN (optional)"), validators=[
        Optional(), Regexp(r"^[0-9]{12}$", message=_l("An IIN has 12 digits."))])
    documents = CheckboxList(_l("Documents asked for"), choices=[], validate_choice=False)
    other_documents = TextAreaField(_l("Other documents asked for (one per line)"),
                                    validators=[Optional(), Length(max=2000)])
    ticket_at = DateTimeLocalField(_l("Queue ticket taken"), format=TIME_FORMAT,
                                   validators=[Optional(), PlausibleDate()])
    # Called: when the clerk opens the form (starts the visit); finished: when they save,
    # unless typed. Both stay editable for a visit logged afterwards.
    called_at = DateTimeLocalField(_l("Called to the desk"), format=TIME_FORMAT,
                                   validators=[DataRequired(message=_l("Give the time the applicant was called.")),
                                               PlausibleDate()])
    finished_at = DateTimeLocalField(_l("Finished"), format=TIME_FORMAT, validators=[Optional(), PlausibleDate()])
    refusal_ground = SelectField(_l("Refusal ground"), choices=[], validate_choice=False,
                                 validators=[Optional(), Length(max=40)])  # refusal_ground is VARCHAR(40)
    forwarded_to = StringField(_l("Forwarded to"), validators=[Optional(), ExistingOffice()])
    override_reason = TextAreaField(_l("Reason for saving despite the warning"),
                                    validators=[Optional(), Length(max=2000)])
    late_reason = TextAreaField(_l("Why is this visit entered after its working day?"),
                                validators=[Optional(), Length(max=2000)])


class RelativeForm(FlaskForm):
    iin = StringField(_l("Relative's IIN"), validators=[
        DataRequired(), Regexp(r"^[0-9]{12}$", message=_l("An IIN has 12 digits."))])


class CorrectionForm(FlaskForm):
    action = SelectField(_l("Action"), choices=ACTION_LABELS, validators=[DataRequired()])
    # The same document picker as the new-visit form: documents by name, never typed codes.
    documents = CheckboxList(_l("Documents asked for"), choices=[], validate_choice=False)
    other_documents = TextAreaField(_l("Other documents asked for (one per line, by their name in the catalog)"),
                                    validators=[Optional(), Length(max=2000)])
    ticket_at = DateTimeLocalField(_l("Queue ticket taken"), format=TIME_FORMAT,
                                   validators=[Optional(), PlausibleDate()])
    called_at = DateTimeLocalField(_l("Called to the desk"), format=TIME_FORMAT,
                                   validators=[DataRequired(), PlausibleDate()])
    finished_at = DateTimeLocalField(_l("Finished"), format=TIME_FORMAT, validators=[DataRequired(), PlausibleDate()])
    refusal_ground = StringField(_l("Refusal ground"), validators=[Optional(), Length(max=40)])
    forwarded_to = StringField(_l("Forwarded to"), validators=[Optional(), ExistingOffice()])
    reason = TextAreaField(_l("Why is this corrected?"), validators=[DataRequired(), Length(max=2000)])
    preview = HiddenField()  # the changes whose effect on the findings the clerk has seen
