"""`python -m tests.normalise.accuracy`: per-step accuracy on the labelled corpus in
`tests/normalise/cases/` (cases whose output equals the expected value, of all cases)."""

import importlib
import pkgutil

import tests.normalise as package


def report() -> list[tuple[str, int, int]]:
    rows = []
    for info in pkgutil.iter_modules(package.__path__):
        if not info.name.startswith("test_"):
            continue
        module = importlib.import_module(f"tests.normalise.{info.name}")
        if hasattr(module, "accuracy"):
            good, total = module.accuracy()
            rows.append((info.name.removeprefix("test_"), good, total))
    return rows


def main() -> None:
    rows = report()
    for step, good, total in rows:
        print(f"{step:<16} {good:>4}/{total:<4} {good / total:6.1%}")
    good, total = sum(r[1] for r in rows), sum(r[2] for r in rows)
    print(f"{'all steps':<16} {good:>4}/{total:<4} {good / total:6.1%}")


if __name__ == "__main__":
    main()
