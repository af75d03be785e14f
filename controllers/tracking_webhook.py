import json

import pytz
from werkzeug.exceptions import RequestEntityTooLarge

from odoo import SUPERUSER_ID, http
from odoo.http import request

# One request may carry many events (carriers batch them); beyond these it is refused.
MAX_EVENTS = 1000
MAX_BODY_BYTES = 2 * 1024 * 1024
# An event is an object in a list in the body's object: nothing a carrier sends nests
# deeper than a few levels.
MAX_DEPTH = 10


class OrderDeskTrackingWebhook(http.Controller):
    @http.route(
        "/order_desk/tracking/<int:carrier_id>",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
        max_content_length=MAX_BODY_BYTES,
    )
    def desk_tracking_webhook(self, carrier_id, **_kwargs):
        """Tracking events pushed by a carrier.

        Body: ``{"events": [{"tracking_ref", "time", "status", "location",
        "description"}, ...], "timezone": "Asia/Shanghai"}`` (times without an offset are
        in ``timezone``, UTC when absent). The carrier's secret comes in the
        ``Authorization: Bearer <token>`` or ``X-Order-Desk-Token`` header. Only deliveries
        shipped with this carrier (in its company) are matched; any other tracking number
        is reported as unknown, so nothing about other deliveries shows. Answers 200 with
        the counts and the refused events (their 0-based index), 422 when none was
        accepted, 400 for a malformed body, 401 for an unknown carrier or a wrong token,
        413 when too large.
        """
        token = self._desk_request_token()
        # The carrier is not a user: its secret is checked first, then everything runs as
        # the system, narrowed to this carrier's deliveries.
        env = request.env(user=SUPERUSER_ID, su=True)
        carrier = env["delivery.carrier"].browse(carrier_id).exists()
        if not carrier or not carrier._desk_check_webhook_token(token):
            return self._desk_error(
                401, "unauthorized", "Unknown carrier or wrong token."
            )
        try:
            payload = json.loads(request.httprequest.get_data(cache=False) or b"null")
        except RequestEntityTooLarge:
            return self._desk_error(413, "too_large", "The body is too large.")
        except ValueError:
            return self._desk_error(400, "invalid_json", "The body is not valid JSON.")
        except RecursionError:
            # "[[[[…" a hundred thousand deep: the parser gives up before the body ends.
            return self._desk_error(
                400, "too_deep", f"The body nests deeper than {MAX_DEPTH} levels."
            )
        if not self._desk_depth_ok(payload):
            # Parsed, but deep values would fail later (their text, their checks).
            return self._desk_error(
                400, "too_deep", f"The body nests deeper than {MAX_DEPTH} levels."
            )
        events = payload.get("events") if isinstance(payload, dict) else None
        if not isinstance(events, list) or not events:
            return self._desk_error(
                400,
                "invalid_payload",
                "The body must be a JSON object with a non-empty list 'events'.",
            )
        if len(events) > MAX_EVENTS:
            return self._desk_error(
                413, "too_many_events", f"At most {MAX_EVENTS} events per request."
            )
        timezone = payload.get("timezone") or "UTC"
        if not isinstance(timezone, str) or timezone not in pytz.all_timezones_set:
            return self._desk_error(
                400, "invalid_timezone", "'timezone' is not a known time zone."
            )
        if carrier.company_id:
            env = env(
                context=dict(env.context, allowed_company_ids=carrier.company_id.ids)
            )
        normalized = [
            {
                "tracking_ref": event.get("tracking_ref"),
                "event_date": event.get("time", event.get("event_date")),
                "status": event.get("status"),
                "location": event.get("location"),
                "description": event.get("description"),
                "source": "webhook",
            }
            if isinstance(event, dict)
            else event
            for event in events
        ]
        domain = [("carrier_id", "=", carrier.id)]
        if carrier.company_id:
            domain.append(("company_id", "=", carrier.company_id.id))
        vals_list, errors, known = env["stock.picking"]._desk_prepare_tracking_events(
            normalized, tz_name=timezone, domain=domain, sources=("webhook",)
        )
        created = env["order.desk.tracking.event"].create(vals_list)
        # Each refused event appears once in ``errors``.
        accepted = len(events) - len(errors)
        return request.make_json_response(
            {
                "received": len(events),
                "new": len(created),
                "duplicates": known,
                "errors": [
                    {"index": index - 1, "error": error} for index, error in errors
                ],
            },
            status=200 if accepted else 422,
        )

    @staticmethod
    def _desk_depth_ok(payload):
        """Whether ``payload`` (parsed JSON) nests at most ``MAX_DEPTH`` levels, checked
        without recursion."""
        stack = [(payload, 1)]
        while stack:
            value, depth = stack.pop()
            if isinstance(value, (dict, list)):
                if depth > MAX_DEPTH:
                    return False
                children = value.values() if isinstance(value, dict) else value
                stack.extend((child, depth + 1) for child in children)
        return True

    @staticmethod
    def _desk_request_token():
        headers = request.httprequest.headers
        authorization = headers.get("Authorization", "")
        if authorization.lower().startswith("bearer "):
            return authorization[7:].strip()
        return headers.get("X-Order-Desk-Token", "").strip()

    @staticmethod
    def _desk_error(status, code, message):
        return request.make_json_response(
            {"error": code, "message": message}, status=status
        )
