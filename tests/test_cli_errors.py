"""Bad arguments on the package's command lines: a clean message and exit status 2, never a
traceback (issue 15). The CLIs are listed in test_fuzz.NOT_FUZZED with these tests."""

from __future__ import annotations

import pytest

from analysis import serving

SERVING = ["--model", "llama-3-8b", "--hardware", "h100-sxm"]


@pytest.mark.parametrize(
    ("argv", "text"),
    [
        (["--model", "nope", "--hardware", "h100-sxm"], "unknown model 'nope'"),
        (["--model", "llama-3-8b", "--hardware", "h900"], "unknown accelerator 'h900'"),
        ([*SERVING, "--n-gpus", "0"], "n_gpus must be an integer >= 1, got 0"),
        ([*SERVING, "--input", "-1"], "input_tokens must be an integer >= 0, got -1"),
        ([*SERVING, "--output", "0"], "output_tokens must be an integer >= 1, got 0"),
        ([*SERVING, "--dtype", "fp7"], "unknown dtype 'fp7'"),
        ([*SERVING, "--kv-dtype", "bogus"], "unknown dtype 'bogus'"),
    ],
)
def test_serving_cli_refuses_bad_arguments(argv, text, capsys):
    assert serving.main(argv) == 2
    captured = capsys.readouterr()
    assert text in captured.err
    assert "Traceback" not in captured.err and captured.out == ""


def test_serving_cli_refuses_a_non_integer_group_size(capsys):
    with pytest.raises(SystemExit) as exit_:
        serving.main([*SERVING, "--n-gpus", "1.5"])
    assert exit_.value.code == 2
    assert "invalid int value: '1.5'" in capsys.readouterr().err


def test_serving_validation_cli_refuses_bad_arguments(capsys):
    from analysis import serving_validation

    with pytest.raises(SystemExit) as exit_:
        serving_validation.main(["--bogus"])
    assert exit_.value.code == 2
    assert "unrecognized arguments: --bogus" in capsys.readouterr().err


# ---- callables in test_fuzz.NOT_FUZZED (too slow or writing files): their bad input here ----
def test_write_calibration_refuses_a_non_engine():
    from analysis import serving_validation
    from analysis.errors import InvalidTypeError

    before = (serving.DATA_DIR / "serving_results.yaml").read_bytes()
    for bad in (None, {"layer_overhead_s": 1e-5}, "engine"):
        with pytest.raises(InvalidTypeError, match="eng must be a serving.Engine"):
            serving_validation.write_calibration(bad)
    assert (serving.DATA_DIR / "serving_results.yaml").read_bytes() == before  # untouched


@pytest.mark.parametrize(
    ("ids", "error", "text"),
    [
        ((), "InvalidTypeError", "ids must be a non-empty tuple of serving result ids"),
        ("bogus", "InvalidTypeError", "ids must be a non-empty tuple"),
        (("bogus",), "UnknownNameError", "ids: unknown serving result 'bogus'"),
        ((None,), "InvalidTypeError", "ids must be one of the serving result names"),
    ],
)
def test_calibrate_refuses_bad_ids(ids, error, text):
    from analysis import errors, serving_validation

    with pytest.raises(getattr(errors, error), match=text):
        serving_validation.calibrate(ids)
