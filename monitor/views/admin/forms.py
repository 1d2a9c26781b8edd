from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, PasswordField, RadioField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from ...services import offices
from ..validators import PlausibleDate


class UserForm(FlaskForm):
    login = StringField(_l("Login"), validators=[DataRequired(), Length(max=80),
                                                  Regexp(r"^[A-Za-z0-9_.-]+$")])
    full_name = StringField(_l("Full name"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Role"), choices=[
        SelectChoice("desk", _l("Front desk")), SelectChoice("supervisor", _l("Supervisor")),
        SelectChoice("admin", _l("Administrator")), SelectChoice("steward", _l("Catalog steward"))])
    office_code = SelectField(_l("Office (front desk)"), choices=[], default="")  # a listed office only
    supervised = SelectMultipleField(_l("Offices supervised"), choices=[])
    stewarded = SelectMultipleField(_l("Services kept (a steward; none chosen: the whole catalog)"), choices=[])
    password = PasswordField(_l("Password (at least 12 characters)"), validators=[DataRequired(), Length(max=200)])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])
    repeat = PasswordField(_l("New password again"),
                           validators=[DataRequired(), EqualTo("password", message=_l("The two entries differ."))])


class OfficeForm(FlaskForm):
    # The office use case's own rule (services.offices), so the form and the CLI agree.
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=offices.OFFICE_CODE_LENGTH),
                                               Regexp(rf"^{offices.CODE_PATTERN}$")])
    name_kk = StringField(_l("Name (kk)"), validators=[DataRequired()])
    name_ru = StringField(_l("Name (ru)"), validators=[DataRequired()])
    name_en = StringField(_l("Name (en)"), validators=[DataRequired()])
    region = StringField(_l("Region"), validators=[Optional(), Length(max=120)])


class CalendarOverrideForm(FlaskForm):
    day = DateField(_l("Day"), validators=[DataRequired(), PlausibleDate()])
    is_working_day = RadioField(_l("The day becomes"), choices=[
        SelectChoice("off", _l("a day off")), SelectChoice("working", _l("a working day"))],
        validators=[DataRequired()])
    reason = StringField(_l("Decree or reason (shown to citizens)"), validators=[DataRequired(), Length(max=300)])
