"""``KerasFileEditor.compare``: a file's weight tree against a model's, with Keras's messages and counts."""
from __future__ import annotations

from ..utils.io_utils import print_msg


def _compare(target, ref, inner_path, target_name, ref_name, errors, matches, checked):
    base = inner_path
    for key, ref_val in ref.items():
        inner_path = f"{base}/{key}"
        if inner_path in checked:
            continue
        if key not in target:
            errors += 1
            checked.add(inner_path)
            if isinstance(ref_val, dict):
                print_msg(f"...Object {inner_path} present in {ref_name}, missing from {target_name}")
                print_msg(f"    In {ref_name}, {inner_path} contains the following keys: {list(ref_val.keys())}")
            else:
                print_msg(f"...Weight {inner_path} present in {ref_name}, missing from {target_name}")
        elif isinstance(ref_val, dict):
            e, m = _compare(target[key], ref_val, inner_path, target_name, ref_name, errors, matches, checked)
            errors, matches = errors + e, matches + m
        elif target[key].shape != ref_val.shape:
            errors += 1
            checked.add(inner_path)
            print_msg(f"...Weight shape mismatch for {inner_path}\n    In {ref_name}: shape={ref_val.shape}\n"
                      f"    In {target_name}: shape={target[key].shape}")
        else:
            matches += 1
    return errors, matches


def compare_specs(saved: dict, reference: dict) -> dict:
    """Keras's two-way comparison; prints its report and returns ``{status, error_count, match_count}``."""
    checked: set = set()
    errors, matches = _compare(saved, reference, "", "saved file", "reference model", 0, 0, checked)
    more, _ = _compare(reference, saved, "", "reference model", "saved file", 0, 0, checked)
    errors += more
    print_msg("─────────────────────")
    if errors == 0:
        print_msg("Comparison successful: saved file is compatible with the reference model")
        print_msg(f"    Found {matches} matching weight{'' if matches == 1 else 's'}")
        return {"status": "success", "error_count": 0, "match_count": matches}
    print_msg(f"Found {errors} error{'' if errors == 1 else 's'}: saved file is not compatible with the "
              "reference model")
    return {"status": "error", "error_count": errors, "match_count": matches}
