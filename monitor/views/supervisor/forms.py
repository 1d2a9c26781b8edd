from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length


class ReviewForm(FlaskForm):
    decision = SelectField(_l("Decision"), choices=[SelectChoice("confirmed", _l("Confirm")),
                                                    SelectChoice("dismissed", _l("Dismiss")),
                                                    SelectChoice("closed", _l("Close (no longer firing)")),
                                                    SelectChoice("reopened", _l("Reopen"))])
    note = TextAreaField(_l("Note"), validators=[DataRequired(), Length(max=2000)])


class AnswerForm(FlaskForm):
    answer = TextAreaField(_l("Answer to the citizen"), validators=[DataRequired(), Length(max=5000)])
    close = BooleanField(_l("Close the complaint"))


class DecisionForm(FlaskForm):
    decision = SelectField(_l("Decision"), choices=[SelectChoice("approve", _l("Approve")),
                                                    SelectChoice("reject", _l("Reject"))])
    note = TextAreaField(_l("Note"), validators=[DataRequired(), Length(max=2000)])
