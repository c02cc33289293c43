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
