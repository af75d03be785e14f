from odoo.tools import mute_logger


class RpcCaseMixin:
    """Calls a model method over HTTP as a logged-in user, the way any JSON-RPC client does
    (``/web/dataset/call_kw``): the caller chooses the arguments and the context."""

    def _json_rpc(self, url, **params):
        """The HTTP response to a JSON-RPC ``call`` of ``url`` with ``params``."""
        return self.url_open(
            url, json={"jsonrpc": "2.0", "method": "call", "id": 1, "params": params}
        )

    def _rpc(self, user, model, method, *args, **kwargs):
        """``(result, error class name, error message)`` of the call as ``user``."""
        if getattr(self, "_rpc_login", None) != user.login:
            self.authenticate(user.login, user.login)
            self._rpc_login = user.login
        # Refusals are logged by Odoo's HTTP layer as warnings; the test checks them.
        with mute_logger("odoo.http"):
            response = self._json_rpc(
                f"/web/dataset/call_kw/{model}/{method}",
                model=model,
                method=method,
                args=list(args),
                kwargs=kwargs,
            )
        self.env.invalidate_all()
        self.assertEqual(response.status_code, 200, response.text)
        body = response.json()
        error = body.get("error")
        if error:
            data = error["data"]
            return None, data["name"].rsplit(".", 1)[-1], data["message"]
        return body.get("result"), None, None

    def _rpc_refused(self, user, model, method, *args, expected=None, **kwargs):
        """The message of a call that must be refused with a user-facing error (never a
        crash); ``expected``: the error class names accepted."""
        expected = expected or ("UserError", "ValidationError", "AccessError")
        result, error, message = self._rpc(user, model, method, *args, **kwargs)
        self.assertIn(
            error,
            expected,
            f"{model}.{method} as {user.login}: expected a refusal, got "
            f"{error or 'success'}: {message or result}",
        )
        return message
