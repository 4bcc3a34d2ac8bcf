"""Use cases. Each takes the actor as an argument, flushes, and never commits: the caller
(a view or a Celery task) owns the transaction, so the worker runs the same code as the web."""


class ServiceError(Exception):
    """A refusal the user should read; ``message`` is Swedish."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ServiceError):
    """Also raised for things that exist but are not the actor's: never reveal which."""

    def __init__(self, message: str = "Sidan finns inte.") -> None:
        super().__init__(message)


class StaleState(ServiceError):
    """Someone else changed the row since the actor loaded it."""
