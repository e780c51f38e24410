"""Node agents (see `verifiers.agents.base`): every module here that defines a role registers it."""
import importlib
import pkgutil

for _info in pkgutil.iter_modules(__path__):
    if _info.name != "base":
        importlib.import_module(f"{__name__}.{_info.name}")
