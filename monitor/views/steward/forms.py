from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, DataRequired, InputRequired, Length, NumberRange, Optional

from services_catalog.model import SOURCED_FACTS

from .. import DEADLINE_UNITS, FACT_LABELS
from ..validators import PlausibleDate


class CheckboxList(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class DraftForm(FlaskForm):
    """A service's next version: the version in force with what the steward changes.
    ``source_<fact>`` (one per fact, added below) says where each fact comes from."""

    effective_from = DateField(_l("In force from"), validators=[DataRequired(), PlausibleDate()])
    legal_basis_kk = TextAreaField(_l("Legal basis (kk)"), validators=[DataRequired(), Length(max=4000)])
    legal_basis_ru = TextAreaField(_l("Legal basis (ru)"), validators=[DataRequired(), Length(max=4000)])
    legal_basis_en = TextAreaField(_l("Legal basis (en)"), validators=[DataRequired(), Length(max=4000)])
    deadline_value = IntegerField(_l("Deadline"), validators=[InputRequired(), NumberRange(min=0, max=100000)])
    deadline_unit = SelectField(_l("Deadline unit"), choices=[SelectChoice(k, v) for k, v in DEADLINE_UNITS.items()])
    max_wait_minutes = IntegerField(_l("Longest lawful wait in the queue, minutes"),
                                    validators=[InputRequired(), NumberRange(min=0, max=10000)])
    max_service_minutes = IntegerField(_l("Longest lawful time at the desk, minutes"),
                                       validators=[InputRequired(), NumberRange(min=0, max=10000)])
    fee_mrp = DecimalField(_l("Fee in МРП (leave empty for a fee in tenge)"),
                           validators=[Optional(), NumberRange(min=0, max=100000)])
    fee_amount = DecimalField(_l("Fee in tenge (when the law does not give it in МРП)"),
                              validators=[Optional(), NumberRange(min=0, max=10**9)])
    required = CheckboxList(_l("Documents the applicant may be asked for"), choices=[])
    obtained = CheckboxList(_l("Documents the office obtains itself from state systems"), choices=[])
    grounds_kept = CheckboxList(_l("Refusal grounds kept"), choices=[])
    new_ground_code = StringField(_l("New refusal ground: code"), validators=[Optional(), Length(max=40)])
    new_ground_kk = TextAreaField(_l("New refusal ground (kk)"), validators=[Optional(), Length(max=2000)])
    new_ground_ru = TextAreaField(_l("New refusal ground (ru)"), validators=[Optional(), Length(max=2000)])
    new_ground_en = TextAreaField(_l("New refusal ground (en)"), validators=[Optional(), Length(max=2000)])
    sources_kept = CheckboxList(_l("Sources kept"), choices=[])
    new_source_title = StringField(_l("New source: title"), validators=[Optional(), Length(max=500)])
    new_source_url = StringField(_l("New source: address (URL)"),
                                 validators=[Optional(), URL(require_tld=True), Length(max=1000)])
    new_source_secondary = BooleanField(_l("Secondary source (press or aggregator page, kept beside an official one)"))


for _fact in SOURCED_FACTS:
    setattr(DraftForm, f"source_{_fact}", SelectField(FACT_LABELS[_fact], choices=[]))


class DecisionForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])


class AnswerForm(FlaskForm):
    answer = TextAreaField(_l("Answer"), validators=[DataRequired(), Length(max=5000)])
