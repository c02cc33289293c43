"""The errors the package raises for bad input. Each message says what was wrong and what is allowed."""


class UnknownNameError(LookupError):
    """A catalog lookup with a name that is not in the catalog."""

    def __init__(self, kind: str, name: object, known: list[str]):
        self.name, self.known = name, list(known)
        super().__init__(f"unknown {kind} {name!r}; known {kind}s: {', '.join(self.known)}")


class UnknownDTypeError(ValueError):
    """A dtype that is not one of the allowed names (or not supported by this chip)."""

    def __init__(self, dtype: object, allowed: list[str], where: str | None = None):
        self.dtype, self.allowed = dtype, list(allowed)
        context = f" for {where}" if where else ""
        super().__init__(f"unknown dtype {dtype!r}{context}; allowed: {', '.join(self.allowed)}")


class ConfigError(ValueError):
    """A model configuration that cannot describe a supported transformer."""


class MissingConfigKeyError(ConfigError):
    def __init__(self, key: str, model_type: str):
        self.key = key
        super().__init__(f"config for model_type {model_type!r} is missing the key {key!r}")


class UnsupportedModelTypeError(ConfigError):
    def __init__(self, model_type: object, supported: list[str]):
        self.model_type, self.supported = model_type, list(supported)
        super().__init__(
            f"unsupported model_type {model_type!r}; supported: {', '.join(self.supported)}"
        )


def require_positive(name: str, value: float, *, allow_zero: bool = False) -> float:
    """Return ``value`` if it is a finite number > 0 (or >= 0); raise ValueError naming ``name``."""
    try:
        ok = value == value and abs(value) != float("inf")  # rejects NaN and inf
    except TypeError:
        ok = False
    if isinstance(value, bool) or not ok:
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be {bound}, got {value!r}")
    return value
