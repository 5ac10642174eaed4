"""The .env reader of the settings and of `make run`: django-environ's rules, and PEM keys."""

from __future__ import annotations

import io
import re

import environ
import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import given, settings
from hypothesis import strategies as st

from shadowvault.envfile import env_file_values, env_text_values

PEM = (
    "-----BEGIN RSA PUBLIC KEY-----\n"
    "MEgCQQCo9+BpMRYQ/dL3DS2CyJxRF+j6ctbT3/Qp84+KeFhnii7NT7fELilKUSnx\n"
    "S30WAvQCCo2yU1orfgqr41mM70MBAgMBAAE=\n"
    "-----END RSA PUBLIC KEY-----"
)
MULTILINE = 'TELEGRAM_SERVER_PUBLIC_KEY="' + PEM + '"'
PEM_FORMS = {
    "double quotes over several lines": MULTILINE,
    "single quotes over several lines": "TELEGRAM_SERVER_PUBLIC_KEY='" + PEM + "'",
    "one line, \\n between lines": "TELEGRAM_SERVER_PUBLIC_KEY=" + PEM.replace("\n", "\\n"),
    "one line in double quotes": 'TELEGRAM_SERVER_PUBLIC_KEY="' + PEM.replace("\n", "\\n") + '"',
}


def as_settings_read_it(value: str) -> str:
    """What `env.str(..., multiline=True)` makes of a value (TELEGRAM_SERVER_PUBLIC_KEY)."""
    return re.sub(r"(\\r)?\\n", "\n", value)


@pytest.mark.parametrize("form", PEM_FORMS)
def test_every_pem_form_gives_the_same_key(form, tmp_path, devstack) -> None:
    path = tmp_path / ".env"
    path.write_text(f"# a comment\nTELEGRAM_API_ID=5\n{PEM_FORMS[form]}\nDEBUG=false\n")

    values = env_file_values(path)
    from_devstack = devstack.read_env_file(path)

    assert as_settings_read_it(values["TELEGRAM_SERVER_PUBLIC_KEY"]) == PEM
    assert (values["TELEGRAM_API_ID"], values["DEBUG"]) == ("5", "false")
    assert from_devstack == values


def test_a_quote_never_closed_is_an_error_naming_the_line(tmp_path, devstack) -> None:
    path = tmp_path / ".env"
    path.write_text('A=1\nTELEGRAM_SERVER_PUBLIC_KEY="-----BEGIN\nabc\n')

    with pytest.raises(ImproperlyConfigured, match=r"line 2: the value of TELEGRAM_SERVER_"):
        env_file_values(path)
    with pytest.raises(SystemExit, match="line 2"):  # make run stops with the same words
        devstack.read_env_file(path)


def test_no_file_is_no_values(tmp_path) -> None:
    assert env_file_values(tmp_path / "missing.env") == {}


KEYS = st.text(alphabet="AB_1", min_size=1, max_size=4)
TEXT = st.text(alphabet="ab #=\\'\"n$", max_size=8)
VALUES = st.one_of(
    TEXT.filter(lambda v: v[:1] not in "'\""),  # bare
    TEXT.map(lambda v: "'" + v.replace("'", "") + "'"),  # single-quoted
    TEXT.map(lambda v: '"' + v.replace("\\", "").replace('"', '\\"') + '"'),  # double-quoted
)
LINES = st.one_of(
    st.tuples(st.sampled_from(["", "export "]), KEYS, VALUES).map(lambda t: f"{t[0]}{t[1]}={t[2]}"),
    st.sampled_from(["", "# comment", "not an assignment"]),
)


@settings(max_examples=60, deadline=None)
@given(lines=st.lists(LINES, max_size=6))
def test_one_line_values_read_exactly_as_django_environ_reads_them(lines) -> None:
    text = "\n".join(lines)
    expected: dict[str, str] = {}
    saved, environ.Env.ENVIRON = environ.Env.ENVIRON, expected  # read into a dict of our own
    try:
        environ.Env.read_env(io.StringIO(text), overwrite=True)
    finally:
        environ.Env.ENVIRON = saved

    assert env_text_values(text) == expected
