import math
import re

from odoo import api, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools.i18n import format_list

MANAGER_GROUP = "order_desk.group_order_desk_manager"

# The addon whose fields the guard derives its system fields from.
ADDON = "order_desk"

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


def desk_changed_fields(record, vals, names):
    """The fields among ``names`` whose value in ``vals`` differs from ``record``'s (one
    record): an import that sends a field unchanged changes nothing. Relations to many
    (commands) count as changed whenever sent."""
    changed = []
    for name in names:
        if name not in vals:
            continue
        field = record._fields[name]
        if field.type in ("one2many", "many2many"):
            changed.append(name)
            continue
        try:
            value = field.convert_to_record(
                field.convert_to_cache(vals[name], record), record
            )
        except (TypeError, ValueError):
            changed.append(name)
            continue
        if value != record[name]:
            changed.append(name)
    return changed


def desk_join(env, items, parts=False):
    """``items`` (texts) joined as the language of ``env`` writes a list: Odoo's
    ``format_list`` (Unicode's list patterns: "phone, street, and city", 电话、街道和城市);
    for ``parts`` (clauses that hold commas themselves), semicolons, full-width in
    Chinese."""
    if parts:
        chinese = (env.lang or "").startswith("zh")
        return ("\uff1b" if chinese else "; ").join(items)  # full-width semicolon
    return format_list(env, list(items))


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

    Odoo's ``readonly`` is a property of the views only: ``create`` and ``write`` accept
    read-only fields, stored computed and related fields included (a written computed value
    stays until its dependencies change). So the guard derives its list from the fields
    themselves: on a model that inherits it, **every stored field the addon declares that is
    computed (not ``readonly=False``), related, or ``readonly=True``** is a system field,
    a new field included, unless the model lists it in ``_desk_writable_fields`` with the
    reason a user writes it. Besides, a model lists:

    - ``_desk_system_fields``: more fields only the records' own actions write (who/when
      audit fields, statuses, decisions and marks that are editable computes or plain).
    - ``_desk_manager_fields``: decisions an Order Desk manager takes by setting a field.
    - ``_desk_fixed_fields``: what a record belongs to (the record it hangs from), fixed
      once created. On the models the addon defines, the record's company is fixed too,
      whichever field changes it (see ``_desk_company_is_fixed``).

    An action checks who calls it, then writes system fields with ``sudo()``; any other
    caller is refused. On ``create`` they may only be absent, empty or their default; a
    default from the context or from ``ir.default`` does not reach them (``default_get``):
    what the code says is kept, and computed ones are computed. A ``write`` that leaves a
    manager's or a fixed value as it is passes (a form or an import sending the same value
    decides nothing); system fields are refused whatever the value. The superuser (the
    actions after their check, the scheduler, the webhook) passes.
    Text with a NUL character and numbers that are not finite or beyond ``MAX_NUMBER`` are
    refused for everybody (PostgreSQL and Odoo's rounding would fail on them).
    """

    _name = "order.desk.field.guard"
    _description = "Order Desk Guarded Fields"

    _desk_system_fields = frozenset()
    _desk_manager_fields = frozenset()
    _desk_writable_fields = frozenset()
    _desk_fixed_fields = frozenset()

    @api.model
    def default_get(self, fields):
        defaults = super().default_get(fields)
        if self.env.su:
            return defaults
        # A default from the context (``default_<field>``, which any RPC caller sends) or
        # from ir.default never reaches a guarded field: the code's own default does.
        for name in self._desk_refused_fields() & defaults.keys():
            field = self._fields[name]
            if field.default:
                defaults[name] = self._desk_code_default(field)
            else:
                del defaults[name]
        return defaults

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._desk_check_input(vals)
        if not self.env.su:
            self._desk_guard_create_vals(vals_list)
        self._desk_complete_create_vals(vals_list)
        return super().create(vals_list)

    def write(self, vals):
        self._desk_check_input(vals)
        if self.env.su or not self:
            return super().write(vals)
        self._desk_guard_write_vals(vals)
        companies = self._desk_company_is_fixed() and {
            record.id: record.company_id for record in self
        }
        result = super().write(vals)
        if companies:
            moved = self.filtered(lambda r: r.company_id != companies[r.id])
            if moved:
                raise UserError(
                    self.env._(
                        "%(record)s stays in its company %(company)s: records do not "
                        "move between companies (%(model)s).",
                        record=moved[0].display_name,
                        company=companies[moved[0].id].name,
                        model=self._description,
                    )
                )
        return result

    @api.model
    def _desk_complete_create_vals(self, vals_list):
        """Hook: set the system fields the model's own code fills at creation (a reference
        drawn from a sequence), after the caller's values were checked. ``vals_list`` is
        changed in place, and returned."""
        return vals_list

    # ------------------------------------------------------------------------------------------
    # Guards
    # ------------------------------------------------------------------------------------------
    @api.model
    def _desk_derived_system_fields(self):
        """The stored fields this addon declares on the model that no view lets anybody
        edit (computed, related or read-only), less ``_desk_writable_fields``: computed
        once per model. Wizards are left out: a wizard's record is its creator's own and
        its read-only fields are the answer shown to them."""
        cls = type(self)
        derived = cls.__dict__.get("_desk_derived_fields_cache")
        if derived is None:
            derived = frozenset()
            if not self._transient and not self._abstract:
                derived = frozenset(
                    name
                    for name, field in self._fields.items()
                    if ADDON in field._modules
                    and name not in models.MAGIC_COLUMNS
                    and field.store
                    and not field.inherited
                    and field.readonly
                ) - (self._desk_writable_fields | self._desk_manager_fields)
            cls._desk_derived_fields_cache = derived
        return derived

    @api.model
    def _desk_guarded_system_fields(self):
        """Every field only the system writes: the declared and the derived ones."""
        return self._desk_system_fields | self._desk_derived_system_fields()

    @api.model
    def _desk_refused_fields(self):
        """The guarded fields the current (non-superuser) caller may not set."""
        refused = self._desk_guarded_system_fields()
        if self._desk_manager_fields and not self._desk_is_manager():
            refused |= self._desk_manager_fields
        return refused

    @api.model
    def _desk_company_is_fixed(self):
        """Whether records of this model keep their company: on the models this addon
        defines, a stored company field never changes after creation, whichever field
        changes it (the company itself, or the record it follows)."""
        field = self._fields.get("company_id")
        return bool(
            field
            and field.store
            and not self._transient
            and self._original_module == ADDON
        )

    def _desk_is_manager(self):
        return self.env.su or self.env.user.has_group(MANAGER_GROUP)

    def _desk_allowed_create_fields(self, vals):
        """Hook: the guarded fields that ``vals`` may carry although the caller is not the
        superuser, because Odoo's own flow made them (a stock move split from a marked
        one). Nothing by default."""
        return frozenset()

    def _desk_guard_write_vals(self, vals):
        system = sorted(self._desk_guarded_system_fields() & vals.keys())
        if system:
            raise UserError(self._desk_system_field_message(system[0]))
        fixed = sorted(
            name
            for name in self._desk_fixed_fields & vals.keys()
            if self._desk_changes(name, vals[name])
        )
        if fixed:
            raise UserError(self._desk_fixed_field_message(fixed[0]))
        if self._desk_manager_fields and not self._desk_is_manager():
            manager = sorted(
                name
                for name in self._desk_manager_fields & vals.keys()
                if self._desk_changes(name, vals[name])
            )
            if manager:
                raise AccessError(self._desk_manager_field_message(manager[0]))

    def _desk_changes(self, name, value):
        """Whether writing ``value`` in field ``name`` changes a record of ``self``."""
        field = self._fields[name]
        if field.type in ("one2many", "many2many"):
            return bool(value)
        for record in self:
            try:
                if field.convert_to_cache(value, record) != field.convert_to_cache(
                    record[name], record
                ):
                    return True
            except (TypeError, ValueError):
                return True
        return False

    def _desk_guard_create_vals(self, vals_list):
        """Refuse guarded values the caller may not give; guarded computed fields given
        their default are left to their compute (``vals_list`` is changed in place)."""
        system = self._desk_guarded_system_fields()
        manager = (
            self._desk_manager_fields if not self._desk_is_manager() else frozenset()
        )
        for vals in vals_list:
            given = (system | manager) & vals.keys()
            if not given:
                continue
            allowed = self._desk_allowed_create_fields(vals)
            for name in sorted(given - allowed):
                field = self._fields[name]
                if not self._desk_is_default(
                    field, vals[name], self._desk_code_default(field)
                ):
                    if name in system:
                        raise UserError(self._desk_system_field_message(name))
                    raise AccessError(self._desk_manager_field_message(name))
                if field.compute and field.store:
                    # Given as empty: computed as for any other record.
                    del vals[name]

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

    def _desk_fixed_field_message(self, name):
        return self.env._(
            "%(field)s is fixed once the record exists (%(model)s).",
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
