from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    # The sign-in page is for typing a login: the cursor is in its field at once.
    login = StringField(_l("Login"), validators=[DataRequired(), Length(max=80)],
                        render_kw={"autofocus": True, "autocomplete": "username"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)],
                             render_kw={"autocomplete": "current-password"})


class OwnPasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])
    password = PasswordField(_l("New password (at least 12 characters)"),
                             validators=[DataRequired(), Length(max=200)])
    repeat = PasswordField(_l("New password again"),
                           validators=[DataRequired(), EqualTo("password", message=_l("The two entries differ."))])
