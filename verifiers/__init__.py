"""Tribunal verifiers: the Verifier interface (`Tribunal`), verification modes, node agents, the CLI."""


def __getattr__(name):  # lazy: `import verifiers` stays cheap for the CLI's other commands
    if name in ("Tribunal", "Receipt"):
        from verifiers import api

        return getattr(api, name)
    if name == "Verdict":
        from verifiers.verdict import Verdict

        return Verdict
    raise AttributeError(name)


__all__ = ["Receipt", "Tribunal", "Verdict"]
