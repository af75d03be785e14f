import math
import re

from odoo import api, models
from odoo.exceptions import AccessError, UserError, ValidationError

MANAGER_GROUP = "order_desk.group_order_desk_manager"

# Beyond this no quantity or amount is real, and Odoo's rounding of a float overflows long
# before the largest float: such values are refused as input instead.
MAX_NUMBER = 1e15

# PostgreSQL's integer columns (and record ids) hold less than this.
INT_LIMIT = 2**31

# A number as people write it: ASCII digits, one optional sign, decimal point and
# exponent. Python's float() also reads "1_0" (10), Arabic-Indic or full-width digits,
# "nan" and "inf": none of them is a number typed in a form or a file.
NUMBER_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def desk_to_number(value):
    """The finite number ``value`` (a number, or its text) stands for, or None.

    Text is a number in plain decimal notation only (``NUMBER_TEXT``: ``12``, ``-1.5``,
    ``2e3``): no digit separators, no digits of other scripts, no ``nan`` or ``inf``. NaN
    and the infinities (also those a too large exponent gives, ``1e400``) are no numbers.
    Booleans are not numbers either. Bounds are the caller's: see ``MAX_NUMBER``.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if len(text) > 100 or not NUMBER_TEXT.fullmatch(text):
            return None
        try:
            number = float(text)
        except ValueError:
            return None
    elif isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def desk_to_id(value):
    """The record id the text ``value`` gives (ASCII digits only, as a form or a URL sends
    it), or None: ``int()`` would also read "1_0" (10), " 3", "٣" or a number beyond the
    ids PostgreSQL holds."""
    if not isinstance(value, str) or not value.isascii() or not value.isdigit():
        return None
    number = int(value) if len(value) <= 10 else INT_LIMIT
    return number if 0 < number < INT_LIMIT else None


def desk_printable(value, limit=60):
    """``value`` as text fit to quote in a message: control characters (NUL among them)
    shown as ``?``, at most ``limit`` characters."""
    if not isinstance(value, str):
        try:
            value = str(value)
        except ValueError:  # an integer with more digits than Python prints
            value = "…"
    text = "".join(char if char.isprintable() else "?" for char in value[: limit + 1])
    return text if len(text) <= limit else text[:limit] + "…"


def desk_clean_text(env, value, missing_message):
    """``value`` stripped: refused with ``missing_message`` when it is no text or blank,
    and with its own message when it holds a NUL character (which PostgreSQL cannot keep).
    For the reasons and notes the actions take as arguments."""
    if not isinstance(value, str) or not value.strip():
        raise UserError(missing_message)
    if "\x00" in value:
        raise UserError(env._("The text holds a NUL character: remove it."))
    return value.strip()


class OrderDeskFieldGuard(models.AbstractModel):
    """Fields nobody sets but the system or a manager, and the input every desk record
    refuses, checked in ``create`` and ``write`` for every caller (form, import, RPC).

    A model lists its guarded fields in two class attributes:

    - ``_desk_system_fields``: who/when audit fields, statuses, decisions and marks that
      only the records' own actions write. An action checks who calls it, then writes them
      with ``sudo()``; any other caller is refused. On ``create`` they may only be absent,
      empty or their default, and a default from the context or from ``ir.default`` does not
      reach them: what the code says is kept.
    - ``_desk_manager_fields``: decisions an Order Desk manager takes by setting a field.

    The superuser (the actions after their check, the scheduler, the webhook) passes.
    Text with a NUL character and numbers that are not finite or beyond ``MAX_NUMBER`` are
    refused for everybody (PostgreSQL and Odoo's rounding would fail on them).
    """

    _name = "order.desk.field.guard"
    _description = "Order Desk Guarded Fields"

    _desk_system_fields = frozenset()
    _desk_manager_fields = frozenset()
    # Models whose records Odoo copies as any user with the guarded fields (stock moves
    # along their route) check writes only.
    _desk_guard_create = True

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._desk_check_input(vals)
        pinned = []
        if self._desk_guard_create:
            pinned = self._desk_guard_create_vals(vals_list)
        records = super().create(vals_list)
        # A computed field pinned to its default would not be computed at creation (a value
        # given to create protects it): its compute decides, as for any other record.
        for name in pinned:
            field = self._fields[name]
            if field.compute and field.store:
                self.env.add_to_compute(field, records)
        return records

    def write(self, vals):
        self._desk_check_input(vals)
        self._desk_guard_write_vals(vals)
        return super().write(vals)

    # ------------------------------------------------------------------------------------------
    # Guards
    # ------------------------------------------------------------------------------------------
    def _desk_is_manager(self):
        return self.env.su or self.env.user.has_group(MANAGER_GROUP)

    def _desk_guard_write_vals(self, vals):
        if self.env.su:
            return
        system = sorted(self._desk_system_fields & vals.keys())
        if system:
            raise UserError(self._desk_system_field_message(system[0]))
        manager = sorted(self._desk_manager_fields & vals.keys())
        if manager and not self._desk_is_manager():
            raise AccessError(self._desk_manager_field_message(manager[0]))

    def _desk_guard_create_vals(self, vals_list):
        """Refuse guarded values the caller may not give, and pin the guarded fields the
        caller leaves out to their default (``vals_list`` is changed in place). Returns the
        names of the pinned fields."""
        if self.env.su:
            return []
        guarded = [
            (name, UserError, self._desk_system_field_message)
            for name in sorted(self._desk_system_fields)
        ]
        if self._desk_manager_fields and not self._desk_is_manager():
            guarded += [
                (name, AccessError, self._desk_manager_field_message)
                for name in sorted(self._desk_manager_fields)
            ]
        for name, error, message in guarded:
            field = self._fields[name]
            default = self._desk_code_default(field)
            for vals in vals_list:
                if name in vals and not self._desk_is_default(
                    field, vals[name], default
                ):
                    raise error(message(name))
                vals[name] = default
        return [name for name, _error, _message in guarded]

    def _desk_code_default(self, field):
        """The default the model's code gives ``field`` (no context, no ``ir.default``), as
        a value for ``create``."""
        if not field.default:
            return False
        value = field.convert_to_cache(field.default(self), self)
        return field.convert_to_write(field.convert_to_record(value, self), self)

    def _desk_is_default(self, field, value, default):
        if not value:
            return True
        if field.type in ("one2many", "many2many"):
            return False
        try:
            given = field.convert_to_cache(value, self)
            expected = field.convert_to_cache(default, self)
        except (TypeError, ValueError):
            return False
        return given == expected

    def _desk_system_field_message(self, name):
        return self.env._(
            "%(field)s is set by the Order Desk's own actions: it changes through its "
            "buttons only (%(model)s).",
            field=self._fields[name]._description_string(self.env),
            model=self._description,
        )

    def _desk_manager_field_message(self, name):
        return self.env._(
            "Only an Order Desk manager can set %(field)s (%(model)s).",
            field=self._fields[name]._description_string(self.env),
            model=self._description,
        )

    # ------------------------------------------------------------------------------------------
    # Input
    # ------------------------------------------------------------------------------------------
    def _desk_check_input(self, vals):
        """Refuse text with a NUL character and numbers that are not finite or beyond
        ``MAX_NUMBER``, naming the field."""
        for name, value in vals.items():
            field = self._fields.get(name)
            if field is None or value is None or value is False:
                continue
            if field.type in ("char", "text", "html") and isinstance(value, str):
                if "\x00" in value:
                    raise ValidationError(
                        self.env._(
                            "%(field)s contains a NUL character: remove it.",
                            field=field._description_string(self.env),
                        )
                    )
            elif field.type in ("integer", "many2one") and isinstance(value, int):
                if not -INT_LIMIT <= value < INT_LIMIT:
                    raise ValidationError(
                        self.env._(
                            "%(field)s: %(value)s is out of range.",
                            field=field._description_string(self.env),
                            value=desk_printable(value),
                        )
                    )
            elif field.type in ("float", "monetary") and isinstance(
                value, (int, float, str)
            ):
                number = desk_to_number(value)
                if number is None or abs(number) >= MAX_NUMBER:
                    raise ValidationError(
                        self.env._(
                            "%(field)s: %(value)s is not a valid number.",
                            field=field._description_string(self.env),
                            value=desk_printable(value),
                        )
                    )
