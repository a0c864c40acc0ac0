"""One root exception carrying the REST contract's error code and HTTP status.

Views map any ``WorkflowError`` to the JSON error shape in one place
(``workflows.api.errors``); the engine raises these and nothing HTTP-specific.
"""

from __future__ import annotations


class WorkflowError(Exception):
    code = "WORKFLOW_ERROR"
    http_status = 500
    #: the caller's error wherever it happens (a refused log-in): a step it fails answers
    #: with this status too, not the workflow's 500 (``engine.runner._step_error``)
    keeps_status = False

    def __init__(self, message: str, *, parameter: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.parameter = parameter
        if code:
            self.code = code

    def __str__(self) -> str:
        return self.message


class Issue:
    """One problem in a definition: where (a path such as ``("actions", 2, "to")``) and what."""

    __slots__ = ("path", "message")

    def __init__(self, path: tuple[str | int, ...], message: str):
        self.path = path
        self.message = message

    @property
    def where(self) -> str:
        """The path as people read it: ``step 3, to`` for ``("actions", 2, "to")`` (steps
        count from 1, as everywhere), ``parameters[0].data_type`` for other lists."""
        out, parts, i = "", self.path, 0
        while i < len(parts):
            part = parts[i]
            if part == "actions" and i + 1 < len(parts) and isinstance(parts[i + 1], int):
                out += f"{', ' if out else ''}step {parts[i + 1] + 1}"
                i += 2
                if i < len(parts) and isinstance(parts[i], str):
                    out += f", {parts[i]}"
                    i += 1
                continue
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
            i += 1
        return out

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.path else self.message

    def __repr__(self) -> str:
        return f"Issue({self.path!r}, {self.message!r})"


class DefinitionError(WorkflowError):
    """A workflow definition is invalid; ``issues`` says where and what, all at once."""

    code = "INVALID_DEFINITION"
    http_status = 400

    def __init__(self, issues: list[Issue], *, workflow: str | None = None):
        self.issues = issues
        self.workflow = workflow
        prefix = f"workflow {workflow!r}: " if workflow else ""
        super().__init__(prefix + "; ".join(str(i) for i in issues))


class ExpressionError(WorkflowError):
    """An expression failed to compile or to evaluate (including sandbox refusals)."""

    code = "EXPRESSION_ERROR"


class MissingParameter(WorkflowError):
    code = "MISSING_PARAMETER"
    http_status = 400


class InvalidParameter(WorkflowError):
    code = "INVALID_PARAMETER"
    http_status = 400


class ThingNotFound(WorkflowError):
    """A ``thing`` parameter names an id that does not exist (400, like Bubble's API)."""

    code = "NOT_FOUND"
    http_status = 400


class WorkflowNotFound(WorkflowError):
    code = "NOT_FOUND"
    http_status = 404


class NotBuilt(WorkflowError):
    """An API workflow with no steps, called live: a shell waiting to be built (one brought
    over from Bubble, whose steps Bubble does not publish), never a silent success."""

    code = "NOT_BUILT"
    http_status = 404  # not there yet; a 5xx would say the server failed


class Unauthenticated(WorkflowError):
    code = "UNAUTHENTICATED"
    http_status = 401


class Forbidden(WorkflowError):
    code = "FORBIDDEN"
    http_status = 403


class ConditionNotMet(WorkflowError):
    code = "CONDITION_NOT_MET"
    http_status = 400


class LoginFailed(WorkflowError):
    """A log-in refused: one message whether the email or the password was wrong
    (``workflows.accounts``). The caller's error wherever the step is, so it keeps its
    status (``keeps_status``) when it fails a step."""

    code = "LOGIN_FAILED"
    http_status = 400
    keeps_status = True


class TooManyAttempts(WorkflowError):
    """Too many failed log-ins for an email or from an address; ``retry_after`` seconds."""

    code = "TOO_MANY_REQUESTS"
    http_status = 429
    keeps_status = True

    def __init__(self, message: str, *, retry_after: int = 0):
        super().__init__(message)
        self.retry_after = retry_after


class InvalidData(WorkflowError):
    """A value a data type refuses (a required field left blank, a date out of range);
    ``field`` names the data type's field at fault.

    Whose fault it is depends on where the value came from: from the caller's parameters
    it is the caller's (400, naming the parameter: the runner works that out), from the
    workflow's definition or another step the workflow's (500)."""

    code = "INVALID_DATA"
    http_status = 400

    def __init__(self, message: str, *, field: str | None = None, parameter: str | None = None):
        super().__init__(message, parameter=parameter)
        self.field = field


class ActionFailed(WorkflowError):
    """An action raised while running; the run is rolled back and logged as failed."""

    code = "WORKFLOW_ERROR"


class RunTimeout(WorkflowError):
    code = "TIMEOUT"


class DepthExceeded(WorkflowError):
    code = "MAX_DEPTH_EXCEEDED"
