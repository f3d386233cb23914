"""In-memory fakes of the ports, one module per area, composed by `uow.FakeUnitOfWork`.

mypy checks tests/: passing a FakeUnitOfWork where a handler expects `UnitOfWork` fails
the build as soon as a fake drifts from its port.
"""
