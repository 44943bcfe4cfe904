"""The ``dosing`` command: plan a regimen for a patient, compute a BSA, list and show regimens.

Quantities are read with their units (``150cm``, ``59in``, ``88lb``, ``1.2mg/dL``, ``1.29m2``,
``12y``); a number without a unit is refused. A wrong input exits with status 2 and one line on
stderr naming the argument and what to write instead. With ``--format json`` or ``csv`` stdout
carries only the data; notes, warnings and findings go to stderr.

Examples
--------
::

    dosing plan flu-arac-mel-ric --height 150cm --weight 40kg --transplant-date 2026-12-10
    dosing plan inotuzumab-cycle-1 --bsa 1.29m2 --format json
    dosing bsa --height 150cm --weight 40kg --method all
    dosing list
    dosing show mel-tbi-mac
    dosing plan vincristine.toml --bsa 0.95m2 --band vincristine=nhs-1mg-ml-vincristine \
        --product vincristine=vincristine-1mg-ml-2ml
    dosing bands nhs-1mg-ml-vincristine
    dosing bands --make fludarabine --low 20mg --high 80mg --tolerance 6% --increment 0.1mL \
        --product fludarabine-25mg-ml-2ml
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
import textwrap
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Final, NoReturn, TextIO

import dosing
from dosing._text import TABLE_WIDTH
from dosing._version import __version__
from dosing._warn import recording
from dosing.errors import (
    NO_VALUE,
    DosingError,
    Example,
    UnitsError,
    UnusedPolicyWarning,
    show_value,
)
from dosing.formats import FORMATS
from dosing.units import parse_quantity, parse_unit, short
from dosing.vocabulary import canonical_agent

__all__ = ["main"]

EXIT_USAGE = 2
#: The formats that write dosing.check()'s findings (given them, they are not computed twice).
_WITH_FINDINGS = ("json", "fhir", "html")
#: The plan was printed, but a check found an error (a dose over a limit, a withheld dose).
EXIT_FINDINGS = 1


class UsageError(Exception):
    """A wrong command-line input: one line on stderr, exit status 2."""


class _Once(argparse.Action):
    """Store an option's value, refusing a second one (the last would silently win)."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        seen: set[str] = namespace.__dict__.setdefault("_given_once", set())
        if self.dest in seen:
            raise UsageError(f"{option_string} is given twice; give it once")
        seen.add(self.dest)
        setattr(namespace, self.dest, values)


class _Parser(argparse.ArgumentParser):
    """argparse that reports its own usage errors as one short line, not a usage block."""

    def error(self, message: str) -> NoReturn:
        message = message.replace("argument ", "").replace(
            "the following arguments are required", "missing required argument(s)"
        )
        hint = f"; see '{self.prog} --help'"
        raise UsageError(f"{message}{hint}")


def _quantity(argument: str, example: str, dimension: str) -> Callable[[str], Any]:
    """An argparse type that reads a quantity with its unit and checks its dimension."""

    def read(text: str) -> Any:
        try:
            quantity = parse_quantity(text)
        except UnitsError as exc:
            raise UsageError(
                f"{argument} {text!r}: {exc}; write e.g. {argument} {example}"
            ) from None
        if quantity.dimensionality != parse_unit(dimension).dimensionality:
            raise UsageError(
                f"{argument} {text!r} is not {_DIMENSION_NAMES[dimension]}; "
                f"write e.g. {argument} {example}"
            )
        return quantity

    return read


#: What each kind of quantity is called in an error, with its article.
_DIMENSION_NAMES = {
    "cm": "a length",
    "kg": "a mass",
    "m**2": "an area",
    "year": "a duration",
}


def _date(argument: str, example: str | None = None) -> Callable[[str], dt.date]:
    """A reader of an ISO date for ``argument``; its error shows ``example`` (by default
    ``ARGUMENT 2026-12-10``), the option as it is written."""
    fix = example or f"{argument} 2026-12-10"

    def read(text: str) -> dt.date:
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise UsageError(f"{argument} {text!r} is not a date; write e.g. {fix}") from None

    return read


def _percent_or_fraction(argument: str, text: str) -> float:
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*(%?)\s*", text)
    if not match:
        raise UsageError(f"{argument} {text!r}: write a fraction or a percentage, e.g. 80%")
    value = float(match.group(1))
    return value / 100.0 if match.group(2) else value


def _pair(argument: str, text: str, example: str) -> tuple[str, str]:
    if "=" not in text:
        raise UsageError(f"{argument} {text!r}: write AGENT=VALUE, e.g. {argument} '{example}'")
    agent, value = text.split("=", 1)
    if not agent.strip() or not value.strip():
        raise UsageError(f"{argument} {text!r}: write AGENT=VALUE, e.g. {argument} '{example}'")
    return agent.strip(), value.strip()


def _build_parser() -> _Parser:
    parser = _Parser(
        prog="dosing",
        description="Chemotherapy and transplant-conditioning doses with units carried end to "
        "end. Not a medical device: every dose must be verified by a qualified person.",
    )
    parser.add_argument("--version", action="version", version=f"dosing {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    plan = commands.add_parser("plan", help="every dose of a regimen for a patient")
    plan.add_argument(
        "regimen",
        nargs="+",
        metavar="KEY|FILE.toml",
        help="a built-in regimen key (see 'dosing list') or a template file; several of one "
        "frame are put on one calendar (e.g. flu-arac-mel-ric rabbit-atg gvhd-mtx-standard)",
    )
    _patient_arguments(plan)
    plan.add_argument(
        "--bsa-method",
        action=_Once,
        default=None,
        metavar="KEY",
        help="BSA formula (default mosteller; see 'dosing bsa --method all')",
    )
    anchor = plan.add_mutually_exclusive_group()
    anchor.add_argument(
        "--cycle-start",
        action=_Once,
        type=_date("--cycle-start"),
        metavar="DATE",
        help="date of cycle day 1 (cycle-frame regimens)",
    )
    anchor.add_argument(
        "--transplant-date",
        action=_Once,
        type=_date("--transplant-date"),
        metavar="DATE",
        help="date of day 0 (transplant-frame regimens)",
    )
    plan.add_argument(
        "--format",
        action=_Once,
        choices=tuple(key for key, format_ in FORMATS.items() if format_.text),
        default="table",
        help="how to write the plan (default table)",
    )
    history = plan.add_argument_group("the patient's history (checked, never changes a dose)")
    history.add_argument(
        "--prior",
        action="append",
        default=[],
        metavar="AGENT=AMOUNT[@DATE]",
        help="an agent already given, e.g. 'melphalan=180mg/m2' or 'TBI=12Gy@2020-03-01' "
        "(repeatable): for lifetime limits and repeat courses",
    )
    history.add_argument(
        "--intended-repeat",
        action="append",
        default=[],
        metavar="AGENT",
        help="a repeat course that is intended (a second TBI): a warning, not an error",
    )
    policy = plan.add_argument_group("policy (all off by default)")
    policy.add_argument(
        "--bsa-cap",
        action=_Once,
        type=_quantity("--bsa-cap", "2m2", "m**2"),
        metavar="AREA",
        help="cap the BSA used for per-m² doses, e.g. 2m2",
    )
    policy.add_argument(
        "--round",
        action="append",
        default=[],
        metavar="AGENT=INCREMENT",
        help="round half-up to an increment, e.g. '*=0.1mg', or to whole vials of the agent's "
        "--product, e.g. 'melphalan=vial' (repeatable)",
    )
    policy.add_argument(
        "--band",
        action="append",
        default=[],
        metavar="AGENT=TABLE",
        help="band an agent's doses by a band table: a file (see 'dosing bands') or a shipped "
        "key, e.g. vincristine=nhs-1mg-ml-vincristine (repeatable)",
    )
    policy.add_argument(
        "--accept-out-of-tolerance",
        action=_Once,
        default=None,
        metavar="REASON",
        help="accept a --band table file whose band dose is outside its tolerance, giving the "
        "reason (every banded row says so)",
    )
    policy.add_argument(
        "--product",
        action="append",
        default=[],
        metavar="AGENT=PRODUCT",
        help="the product an agent is prepared from (volumes, vials per day, vial rounding), "
        "e.g. fludarabine=fludarabine-25mg-ml-2ml (repeatable; see 'dosing products')",
    )
    policy.add_argument(
        "--max-rounding-change",
        action=_Once,
        default=None,
        metavar="FRACTION",
        help="refuse a rounding that moves a dose by more than this (default 10%%, at most 25%%)",
    )
    policy.add_argument(
        "--reduce",
        action="append",
        default=[],
        metavar="AGENT=FRACTION",
        help="give a fraction of the full dose, 10%% to 100%%, e.g. fludarabine=80%% (repeatable)",
    )
    policy.add_argument(
        "--infant-rule",
        action=_Once,
        nargs="?",
        const="10kg,30",
        default=None,
        metavar="WEIGHT,DIVISOR",
        help="below WEIGHT (at most 30 kg), dose mg/kg = mg/m² ÷ DIVISOR (a convention; "
        "without a value: 10kg,30)",
    )
    policy.add_argument(
        "--renal",
        action="append",
        default=[],
        metavar="TABLE",
        help="apply a renal adjustment table, e.g. fludarabine-fludara-label",
    )
    policy.add_argument(
        "--dosing-weight",
        action=_Once,
        default=None,
        metavar="actual|ideal|adjusted:F",
        help="weight for per-kg doses, e.g. adjusted:0.4 (default actual); never above actual",
    )
    policy.add_argument(
        "--renal-estimator",
        action="append",
        default=[],
        metavar="GROUP=KEY",
        help="kidney-function estimator for 'adult' or 'child', e.g. child=ckid_u25, or the "
        "Cockcroft-Gault weight, cockcroft_gault_weight=lesser (repeatable)",
    )
    policy.add_argument(
        "--gfr-cap",
        action=_Once,
        default=None,
        metavar="CLEARANCE|none",
        help="cap on the GFR of a Calvert dose by target AUC (default 125mL/min, FDA/NCCN; "
        "'none' removes it)",
    )
    policy.add_argument(
        "--creatinine-floor",
        action=_Once,
        default=None,
        metavar="CONC",
        help="raise a serum creatinine below this before estimating the GFR of a dose by "
        "target AUC, e.g. 0.7mg/dL (NCCN: consider 0.7 mg/dL)",
    )
    policy.add_argument(
        "--renal-outside-population",
        action=_Once,
        default=None,
        choices=("refuse", "accept"),
        help="a renal table outside its population (an adult table and a child): refuse "
        "(default) or accept, recorded on every affected row",
    )

    bsa = commands.add_parser("bsa", help="body-surface area by one or every formula")
    bsa.add_argument(
        "--height", action=_Once, required=True, type=_quantity("--height", "150cm", "cm")
    )
    bsa.add_argument(
        "--weight", action=_Once, required=True, type=_quantity("--weight", "40kg", "kg")
    )
    bsa.add_argument("--method", action=_Once, default="mosteller", metavar="KEY|all")
    bsa.add_argument("--sex", action=_Once, choices=("male", "female"))
    bsa.add_argument("--age", action=_Once, type=_quantity("--age", "12y", "year"))

    commands.add_parser("list", help="the built-in regimens")
    bands = commands.add_parser(
        "bands", help="show a band table (checked), or make one with --make"
    )
    bands.add_argument(
        "table", nargs="?", metavar="KEY|FILE.toml", help="a shipped table key or a table file"
    )
    bands.add_argument("--accept-out-of-tolerance", action=_Once, default=None, metavar="REASON")
    make = bands.add_argument_group("make a table (printed in the file format)")
    make.add_argument("--make", action=_Once, metavar="AGENT", help="the agent to make it for")
    make.add_argument("--low", action=_Once, type=_quantity("--low", "20mg", "mg"))
    make.add_argument("--high", action=_Once, type=_quantity("--high", "80mg", "mg"))
    make.add_argument("--tolerance", action=_Once, metavar="FRACTION", help="e.g. 6%% or 0.06")
    make.add_argument(
        "--increment",
        action=_Once,
        metavar="AMOUNT",
        help="the smallest measurable dose: a mass (0.1mg) or a volume with --product (0.1mL)",
    )
    make.add_argument("--resolution", action=_Once, metavar="AMOUNT")
    make.add_argument("--boundary", action=_Once, choices=("A", "B"), default="A")
    make.add_argument("--product", action=_Once, metavar="PRODUCT")
    make.add_argument("--key", action=_Once, metavar="KEY")

    commands.add_parser("products", help="the products (vials) known for each agent")

    show = commands.add_parser("show", help="a regimen's definition, totals and sources")
    show.add_argument("regimen", metavar="KEY|FILE.toml")
    return parser


def _patient_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("patient")
    group.add_argument(
        "--height", action=_Once, type=_quantity("--height", "150cm", "cm"), metavar="LENGTH"
    )
    group.add_argument(
        "--weight", action=_Once, type=_quantity("--weight", "40kg", "kg"), metavar="MASS"
    )
    group.add_argument(
        "--bsa",
        action=_Once,
        type=_quantity("--bsa", "1.29m2", "m**2"),
        metavar="AREA",
        help="a given BSA (wins over height and weight for per-m² doses)",
    )
    group.add_argument("--age", action=_Once, type=_quantity("--age", "12y", "year"), metavar="AGE")
    group.add_argument("--sex", action=_Once, choices=("male", "female"))
    group.add_argument(
        "--serum-creatinine",
        action=_Once,
        metavar="CONC",
        help="serum creatinine, e.g. 0.5mg/dL or 44umol/L",
    )
    group.add_argument(
        "--creatinine-clearance",
        action=_Once,
        metavar="CLEARANCE",
        help="measured creatinine clearance: absolute (90mL/min) or normalised (90mL/min/1.73m2)",
    )
    group.add_argument(
        "--cystatin-c",
        action=_Once,
        metavar="CONC",
        help="serum cystatin C, e.g. 0.9mg/L",
    )
    group.add_argument(
        "--gfr",
        action=_Once,
        dest="glomerular_filtration_rate",
        metavar="CLEARANCE",
        help="measured GFR, for doses by target AUC: absolute (90mL/min) or normalised "
        "(90mL/min/1.73m2)",
    )


# -- commands -----------------------------------------------------------------------------------


def _is_file(text: str) -> bool:
    """Whether ``text`` names a file; a name the system cannot look up (too long) names none."""
    try:
        return Path(text).is_file()
    except OSError:  # "File name too long" for a name of 256 characters or more
        return False


def _regimen(text: str) -> Any:
    if text.endswith(".toml") or _is_file(text):
        return dosing.load_regimen(text)
    if text.lower() not in dosing.regimen_keys():
        raise UsageError(
            f"regimen {text!r} is not built in; use one of: {', '.join(dosing.regimen_keys())}, "
            f"or a .toml file"
        )
    return dosing.get_regimen(text)


def _patient(args: argparse.Namespace) -> Any:
    if args.bsa is None and (args.height is None or args.weight is None):
        missing = "--height" if args.height is None else "--weight"
        raise UsageError(
            f"missing {missing}: give --height and --weight (e.g. --height 150cm --weight 40kg) "
            f"or --bsa (e.g. --bsa 1.29m2)"
        )
    extra: dict[str, Any] = {}
    for name, flag, example in (
        ("serum_creatinine", "--serum-creatinine", "0.5mg/dL"),
        ("creatinine_clearance", "--creatinine-clearance", "90mL/min (or 90mL/min/1.73m2)"),
        ("cystatin_c", "--cystatin-c", "0.9mg/L"),
        ("glomerular_filtration_rate", "--gfr", "90mL/min (or 90mL/min/1.73m2)"),
    ):
        value = getattr(args, name)
        if value is not None:
            try:
                extra[name] = parse_quantity(value)
            except UnitsError as exc:
                raise UsageError(f"{flag} {value!r}: {exc}; write e.g. {flag} {example}") from None
    try:
        return dosing.Patient(
            height=args.height,
            weight=args.weight,
            bsa=args.bsa,
            age=args.age,
            sex=args.sex,
            **extra,
        )
    except DosingError as exc:
        raise UsageError(_message(exc)) from None


#: The command-line flag of each library argument (the part before any ``[...]``).
_FLAGS = {
    "height": "--height",
    "weight": "--weight",
    "bsa": "--bsa",
    "age": "--age",
    "sex": "--sex",
    "serum_creatinine": "--serum-creatinine",
    "creatinine_clearance": "--creatinine-clearance",
    "cystatin_c": "--cystatin-c",
    "glomerular_filtration_rate": "--gfr",
    "gfr_cap": "--gfr-cap",
    "creatinine_floor": "--creatinine-floor",
    "transplant_date": "--transplant-date",
    "cycle_start": "--cycle-start",
    "bsa_method": "--bsa-method",
    "bsa_cap": "--bsa-cap",
    "rounding": "--round",
    "bands": "--band",
    "products": "--product",
    "dose_factors": "--reduce",
    "max_rounding_change": "--max-rounding-change",
    "renal": "--renal",
    "renal_estimator": "--renal-estimator",
    "renal_estimator.adult": "--renal-estimator adult",
    "renal_estimator.child": "--renal-estimator child",
    "renal_estimator.cockcroft_gault_weight": "--renal-estimator cockcroft_gault_weight",
    "renal_outside_population": "--renal-outside-population",
    "dosing_weight": "--dosing-weight",
    "ibw_method": "--dosing-weight",
    "below_weight": "--infant-rule",
    "divisor": "--infant-rule",
}
#: An example value of each flag, where a library example has no value for the command line.
_EXAMPLES = {
    "--height": "150cm",
    "--weight": "40kg",
    "--bsa": "1.29m2",
    "--age": "12y",
    "--sex": "female",
    "--serum-creatinine": "0.6mg/dL",
    "--creatinine-clearance": "90mL/min",
    "--cystatin-c": "0.9mg/L",
    "--gfr": "90mL/min",
    "--transplant-date": "2026-12-10",
    "--cycle-start": "2026-12-10",
    "--bsa-cap": "2m2",
}


def _flag(argument: str | None, command: str = "plan") -> str | None:
    """The flag that sets a library argument, e.g. ``rounding['x']`` -> ``--round['x']``."""
    if argument is None:
        return None
    name, bracket, rest = argument.partition("[")
    if command == "bsa" and name == "method":
        return "--method"
    if command == "plan" and name == "method":
        return "--bsa-method"
    flag = _FLAGS.get(name)
    if flag is None:
        return None
    return f"{flag}{bracket}{rest}"


def _cli_value(value: object) -> str:
    """A value as typed on the command line: ``40kg``, ``1.29m2``, ``2026-12-10``."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "units") and hasattr(value, "magnitude"):
        unit = short(value.units).replace("**", "").replace(" ", "")
        return f"{value.magnitude:g}{'y' if unit == 'year' else unit}"
    return str(value)


def _cli_example(example: Example, command: str) -> str:
    parts = []
    for argument, value in example.arguments.items():
        flag = _flag(argument, command) or argument
        shown = (
            _cli_value(value)
            if isinstance(value, str | dt.date) or hasattr(value, "units")
            else _EXAMPLES.get(flag, str(value))
        )
        parts.append(f"{flag} {shown}")
    return f"{example.verb} {' '.join(parts)}"


def _message(error: DosingError, command: str = "plan") -> str:
    """A library error in command-line terms, made from its parts (argument, value, fix).

    The flag replaces the argument (``--weight`` for ``weight``), the command line's notation
    replaces Python's (``40kg`` for ``Q_(40, "kg")``), and an error about something no flag
    sets is shown as the library wrote it.
    """
    flag = _flag(error.argument, command)

    def mention(name: str, value: object) -> str:
        shown = _flag(name, command) or name
        return shown if value is NO_VALUE else f"{shown} {_cli_value(value)}"

    fix: str | None
    if isinstance(error.fix, Example):
        fix = _cli_example(error.fix, command)
    else:
        fix = None if error.fix is None else error.filled(error.fix, mention)
    if flag is None:
        if isinstance(error.fix, Example) and fix is not None:
            return dosing.errors.join_message("", error.filled(error.reason, mention), fix)
        return str(error)
    if error.value is NO_VALUE or error.value is None:
        head = flag
    elif isinstance(error.value, dt.date):
        head = f"{flag} {error.value.isoformat()}"
    else:
        head = f"{flag} {error.shown if error.shown is not None else show_value(error.value)}"
    return dosing.errors.join_message(head, error.filled(error.reason, mention), fix)


def _unused(warning: UnusedPolicyWarning) -> str:
    """The unused-policy warning in command-line terms (``--reduce['x']``, ``--renal 'x'``)."""

    def where(field: str, item: str) -> str:
        flag = _FLAGS[field]
        return f"{flag} {item!r}" if field == "renal" else f"{flag}[{item!r}]"

    return warning.text(where)


def _policy(args: argparse.Namespace) -> Any:
    rounding: dict[str, Any] = {}
    for text in args.round:
        agent, value = _pair("--round", text, "*=0.1mg")
        agent = agent if agent == "*" else canonical_agent(agent)
        if agent in rounding:
            raise UsageError(f"--round gives {agent!r} twice; give each agent once")
        if value == "vial":
            rounding[agent] = value
            continue
        try:
            rounding[agent] = parse_quantity(value)
        except UnitsError as exc:
            raise UsageError(f"--round {text!r}: {exc}; write e.g. --round '*=0.1mg'") from None
    factors: dict[str, float] = {}
    for text in args.reduce:
        agent, value = _pair("--reduce", text, "fludarabine=80%")
        agent = agent if agent == "*" else canonical_agent(agent)
        if agent in factors:
            raise UsageError(f"--reduce gives {agent!r} twice; give each agent once")
        factors[agent] = _percent_or_fraction("--reduce", value)
    infant = None
    if args.infant_rule is not None:
        parts = args.infant_rule.split(",")
        if len(parts) != 2:
            raise UsageError(
                f"--infant-rule {args.infant_rule!r}: write WEIGHT,DIVISOR, e.g. 10kg,30"
            )
        try:
            weight = parse_quantity(parts[0])
            divisor = float(parts[1])
        except (UnitsError, ValueError):
            raise UsageError(
                f"--infant-rule {args.infant_rule!r}: write WEIGHT,DIVISOR, e.g. 10kg,30"
            ) from None
        infant = dosing.InfantRule(below_weight=weight, divisor=divisor)
    weight_choice: Any = "actual"
    if args.dosing_weight is not None:
        text = args.dosing_weight
        if text == "adjusted":
            raise UsageError(
                "--dosing-weight adjusted needs its factor: write e.g. --dosing-weight adjusted:0.4"
            )
        if text.startswith("adjusted:"):
            weight_choice = dosing.DosingWeight(
                "adjusted", factor=_percent_or_fraction("--dosing-weight", text.split(":", 1)[1])
            )
        else:
            weight_choice = text
    estimator: dict[str, str] = {}
    for text in args.renal_estimator:
        group, key = _pair("--renal-estimator", text, "child=ckid_u25")
        if group in estimator:
            raise UsageError(f"--renal-estimator gives {group!r} twice; give each once")
        estimator[group] = key
    bands: dict[str, Any] = {}
    for text in args.band:
        agent, value = _pair("--band", text, "vincristine=nhs-1mg-ml-vincristine")
        agent = canonical_agent(agent)
        if agent in bands:
            raise UsageError(f"--band gives {agent!r} twice; give each agent once")
        bands[agent] = _band_table(value, args.accept_out_of_tolerance)
    _accept_used(args.accept_out_of_tolerance, bands.values())
    products: dict[str, str] = {}
    for text in args.product:
        agent, value = _pair("--product", text, "fludarabine=fludarabine-25mg-ml-2ml")
        agent = canonical_agent(agent)
        if agent in products:
            raise UsageError(f"--product gives {agent!r} twice; give each agent once")
        products[agent] = value
    kwargs: dict[str, Any] = {
        "bands": bands,
        "products": products,
        "bsa_cap": args.bsa_cap,
        "rounding": rounding,
        "dose_factors": factors,
        "infant_rule": infant,
        "renal": tuple(args.renal) or None,
        "dosing_weight": weight_choice,
        "renal_estimator": estimator,
    }
    if args.renal_outside_population is not None:
        kwargs["renal_outside_population"] = args.renal_outside_population
    if args.gfr_cap is not None:
        kwargs["gfr_cap"] = (
            None
            if args.gfr_cap.lower() == "none"
            else _parsed("--gfr-cap", args.gfr_cap, "125mL/min")
        )
    if args.creatinine_floor is not None:
        kwargs["creatinine_floor"] = _parsed(
            "--creatinine-floor", args.creatinine_floor, "0.7mg/dL"
        )
    if args.bsa_method is not None:
        kwargs["bsa_method"] = args.bsa_method
    if args.max_rounding_change is not None:
        kwargs["max_rounding_change"] = _percent_or_fraction(
            "--max-rounding-change", args.max_rounding_change
        )
    try:
        return dosing.Policy(**kwargs)
    except DosingError as exc:
        raise UsageError(_message(exc)) from None


def _band_table(text: str, accept: str | None) -> Any:
    """A shipped band table by key, or a table file (checked by the loader)."""
    if text in dosing.BAND_TABLES:
        table = dosing.BAND_TABLES[text]
        if accept is not None:
            state = (
                f"accepted as shipped ({table.accepted})"
                if table.accepted
                else "within its tolerance"
            )
            raise UsageError(
                f"--accept-out-of-tolerance applies to a table file, not to the shipped table "
                f"{text!r}, which is {state}; drop the flag"
            )
        return table
    if not Path(text).is_file():
        raise UsageError(
            f"--band {text!r} is neither a shipped table ({', '.join(dosing.BAND_TABLES)}) nor "
            f"a file"
        )
    return dosing.load_band_table(text, accept_out_of_tolerance=accept)


def _accept_used(accept: str | None, tables: Any) -> None:
    """--accept-out-of-tolerance is used by a table, or refused: never silently ignored."""
    if accept is not None and not any(table.accepted == accept for table in tables):
        raise UsageError(
            "--accept-out-of-tolerance is given, but no --band table file is outside its "
            "tolerance; drop the flag"
        )


def _bands(args: argparse.Namespace, out: TextIO) -> int:
    if args.make is None:
        if args.table is None:
            out.write("Shipped band tables (dosing bands KEY shows one):\n")
            for key, table in dosing.BAND_TABLES.items():
                mark = " [EXAMPLE]" if table.example else ""
                out.write(f"  {key}{mark}: {table.agent}, {table.range_text()}\n")
            return 0
        table = _band_table(args.table, args.accept_out_of_tolerance)
        _accept_used(args.accept_out_of_tolerance, [table])
        out.write(_table_text(table))
        return 0
    missing = [
        flag
        for flag, value in (
            ("--low", args.low),
            ("--high", args.high),
            ("--tolerance", args.tolerance),
            ("--increment", args.increment),
        )
        if value is None
    ]
    if missing:
        raise UsageError(f"--make needs {', '.join(missing)}")
    try:
        increment = parse_quantity(args.increment)
        resolution = None if args.resolution is None else parse_quantity(args.resolution)
    except UnitsError as exc:
        raise UsageError(f"--increment/--resolution: {exc}") from None
    table = dosing.make_band_table(
        args.make,
        args.low,
        args.high,
        tolerance=_percent_or_fraction("--tolerance", args.tolerance),
        increment=increment,
        boundary=args.boundary,
        resolution=resolution,
        product=args.product,
        key=args.key,
    )
    out.write(table.to_toml())
    worst = max(table.bands, key=lambda band: max(abs(band.below), abs(band.above)))
    variance = worst.below if abs(worst.below) >= abs(worst.above) else worst.above
    unit = short(table.unit)
    out.write(
        f"# worst variance {variance:+.3%} (band {worst.lower.magnitude:.12g}–"
        f"{worst.upper.magnitude:.12g} {unit} -> {worst.dose.magnitude:.12g} {unit}; "
        f"tolerance ±{table.tolerance:.2%})\n"
    )
    return 0


def _table_text(table: Any) -> str:
    unit = short(table.unit)
    lines = [
        f"{table.key}: {table.agent}" + (" [EXAMPLE: no source gives it]" if table.example else ""),
        f"Version: {table.version}",
        f"Tolerance ±{table.tolerance:.2%}; worst variance {table.worst_variance:.2%}; boundary "
        f"rule {table.boundary} ("
        + (
            "a dose at a boundary goes to the band above"
            if table.boundary == "A"
            else f"From ≤ dose ≤ To (B), the dose read down to {table.resolution:g} {unit}; "
            "the To column below is To (B) + that"
            if table.resolution is not None
            else "a dose at a boundary goes to the band below"
        )
        + ")",
    ]
    if table.accepted:
        lines.append(f"Accepted outside its tolerance: {table.accepted}")
    if table.source:
        lines.append(f"Source: {table.source}")
    lines.append(f"{'From':>10}  {'To':>10}  {'Band dose':>10}  {'Below':>7}  {'Above':>7}")
    for band in table.bands:
        lines.append(
            f"{band.lower.magnitude:>10g}  {band.upper.magnitude:>10g}  "
            f"{band.dose.magnitude:>10g}  {band.below:>+7.2%}  {band.above:>+7.2%}"
        )
    lines.append(f"(doses in {unit}; variance = (band dose − calculated) / calculated)")
    return (
        "\n".join(wrapped for line in lines for wrapped in textwrap.wrap(line, TABLE_WIDTH) or [""])
        + "\n"
    )


def _products(out: TextIO) -> int:
    for agent, items in dosing.PRODUCTS.items():
        out.write(f"{agent}:\n")
        for item in items:
            line = f"  {item.key}: {item.name} [{', '.join(item.references)}]"
            out.write("\n".join(textwrap.wrap(line, TABLE_WIDTH, subsequent_indent="      ")))
            out.write("\n")
    return 0


def _parsed(flag: str, value: str, example: str) -> Any:
    try:
        return parse_quantity(value)
    except UnitsError as exc:
        raise UsageError(f"{flag} {value!r}: {exc}; write e.g. {flag} {example}") from None


def _plan(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    regimens = [_regimen(text) for text in args.regimen]
    regimen = regimens[0] if len(regimens) == 1 else dosing.combine(*regimens)
    patient = _patient(args)
    policy = _policy(args)
    # On the command line a policy that names an agent the regimen does not give (a typo such
    # as --reduce fludarabin=80%) is a wrong input, not a warning after the table.
    with recording(raise_on=(UnusedPolicyWarning,)):
        try:
            schedule = regimen.expand(
                patient,
                policy=policy,
                cycle_start=args.cycle_start,
                transplant_date=args.transplant_date,
            )
        except UnusedPolicyWarning as warning:
            raise UsageError(_unused(warning)) from None
    findings = dosing.check(schedule, prior=_prior(args), intended_repeats=args.intended_repeat)
    _flush_warnings(err)  # warnings about the inputs come first, where they are read
    written = (
        dosing.formats.write(schedule, args.format, findings=findings)
        if args.format in _WITH_FINDINGS
        else dosing.formats.write(schedule, args.format)
    )
    out.write(written if written.endswith("\n") else written + "\n")
    for line in _grouped(findings):
        err.write(f"{line}\n")
    if policy.infant_rule is not None:
        err.write(
            "note: the infant rule (mg/kg = mg/m² ÷ divisor below a weight) is a convention, not "
            "a sourced rule; check it against your protocol\n"
        )
    if schedule.regimen.unsourced:
        shows = " and ".join(f"'dosing show {text}'" for text in args.regimen)
        err.write(f"note: {regimen.key} has details no cited source settles; see {shows}\n")
    err.write("note: not a medical device; every dose must be verified by a qualified person\n")
    return EXIT_FINDINGS if any(f.severity == "error" for f in findings) else 0


def _bsa(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.method != "all" and args.method not in dosing.BSA_FORMULAS:
        raise UsageError(
            f"--method {args.method!r} is not known; use one of: "
            f"{', '.join(dosing.BSA_FORMULAS)}, or all"
        )
    keys = list(dosing.BSA_FORMULAS) if args.method == "all" else [args.method]
    width = max(len(k) for k in keys)
    for key in keys:
        formula = dosing.BSA_FORMULAS[key]
        if formula.needs_sex and args.sex is None:
            if args.method == "all":
                err.write(f"note: {key} needs --sex; skipped\n")
                continue
            raise UsageError(f"--method {key} needs --sex male or --sex female")
        try:
            value = dosing.bsa(args.height, args.weight, method=key, sex=args.sex, age=args.age)
        except DosingError as exc:
            raise UsageError(_message(exc, "bsa")) from None
        out.write(
            f"{key:<{width}}  {value.m_as('m**2'):.4f} m²  ({formula.citation.authors}, "
            f"{formula.citation.year})\n"
        )
    return 0


def _list(out: TextIO) -> int:
    keys = dosing.regimen_keys()
    width = max(len(k) for k in keys)
    for key in keys:
        line = f"{key:<{width}}  {dosing.get_regimen(key).name}"
        indent = " " * (width + 2)
        out.write("\n".join(textwrap.wrap(line, TABLE_WIDTH, subsequent_indent=indent)) + "\n")
    return 0


def _show(args: argparse.Namespace, out: TextIO) -> int:
    out.write(_regimen(args.regimen).describe() + "\n")
    return 0


def main(
    argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run the command line; returns the exit status.

    0: done; 1: the plan was printed but a check found an error; 2: a wrong input.
    """
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        return _main(argv, out, err)
    except BrokenPipeError:
        # The reader went away (``dosing plan ... | head``): stop quietly, as a filter should.
        _silence_stdout()
        return 0


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that Python's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # pragma: no cover  (stdout without a file descriptor)
        pass


#: The warnings recorded by the running command in this thread (each call its own: see
#: dosing._warn; a process-wide list once showed one thread's warnings in another's output).
_CAUGHT: ContextVar[list[Warning]] = ContextVar("dosing_cli_warnings")


def _flush_warnings(err: TextIO) -> None:
    """Write the warnings caught so far, one line each, and forget them."""
    caught = _CAUGHT.get()
    for warning in caught:  # each from dosing._warn.warn: a DosingWarning, never dropped
        err.write(f"dosing: warning: {warning}\n")
    caught.clear()


def _grouped(findings: Sequence[Any]) -> list[str]:
    """Findings that differ only by day, as one line naming the days, with their codes."""
    groups: dict[tuple[str, str, str, str], list[int]] = {}
    for finding in findings:
        key = (finding.severity, finding.code, finding.agent, finding.message)
        groups.setdefault(key, [])
        if finding.day is not None:
            groups[key].append(finding.day)
    lines = []
    for (severity, code, agent, message), days in groups.items():
        where = ""
        if days:
            where = f" day{'s' if len(days) > 1 else ''} {', '.join(map(str, days))}"
        lines.append(f"{severity} [{code}]: {agent}{where}: {message}")
    return lines


#: The ``--prior`` option as it is written, for its errors.
PRIOR_EXAMPLE: Final = "--prior 'melphalan=180mg/m2@2026-12-10' (AGENT=AMOUNT@DATE)"


def _prior(args: argparse.Namespace) -> list[Any]:
    """The ``--prior AGENT=AMOUNT[@DATE]`` exposures."""
    exposures = []
    for text in args.prior:
        agent, value = _pair("--prior", text, "melphalan=180mg/m2")
        amount_text, _, date_text = value.partition("@")
        try:
            amount = parse_quantity(amount_text)
        except UnitsError as exc:
            raise UsageError(
                f"--prior {text!r}: {exc}; write e.g. --prior 'melphalan=180mg/m2'"
            ) from None
        prior_date = _date(f"--prior {text!r}: the date", PRIOR_EXAMPLE)
        date = prior_date(date_text) if date_text else None
        try:
            exposures.append(dosing.Exposure(agent, amount, date=date))
        except DosingError as exc:
            raise UsageError(f"--prior {text!r}: {exc}") from None
    return exposures


def args_command(argv: Sequence[str] | None) -> str:
    """The command of ``argv`` (``plan``, ``bsa``, ...), for naming flags in an error."""
    for item in sys.argv[1:] if argv is None else argv:
        if not item.startswith("-"):
            return item
    return "plan"


def _main(argv: Sequence[str] | None, out: TextIO, err: TextIO) -> int:
    parser = _build_parser()
    with recording(emit=False) as caught:
        token = _CAUGHT.set(caught)
        try:
            args = parser.parse_args(argv)
            if args.command == "plan":
                status = _plan(args, out, err)
            elif args.command == "bsa":
                status = _bsa(args, out, err)
            elif args.command == "list":
                status = _list(out)
            elif args.command == "bands":
                status = _bands(args, out)
            elif args.command == "products":
                status = _products(out)
            else:
                status = _show(args, out)
        except UsageError as exc:
            err.write(f"dosing: error: {exc}\n")
            return EXIT_USAGE
        except DosingError as exc:
            err.write(f"dosing: error: {_message(exc, args_command(argv))}\n")
            return EXIT_USAGE
        finally:
            _flush_warnings(err)
            _CAUGHT.reset(token)
    return status
