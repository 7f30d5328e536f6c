"""The canonical forms iam_dynamic_group and iam_policy compare by (module_utils/_oci_iam.py), and the OCID
check of their options (module_utils/_oci_ocid.py)."""

from __future__ import annotations

import pytest

from ansible_collections.oracle.mlflow.plugins.module_utils._errors import OracleMlflowError
from ansible_collections.oracle.mlflow.plugins.module_utils._oci_iam import (
    canonical_matching_rule,
    canonical_statement,
    same_statements,
)
from ansible_collections.oracle.mlflow.plugins.module_utils._oci_ocid import check_ocid

C1 = "ocid1.compartment.oc1..aaaaaaaaone"
C2 = "ocid1.compartment.oc1..aaaaaaaatwo"


@pytest.mark.parametrize("variant", [
    f"ALL {{instance.compartment.id = '{C1}', resource.type = 'computecontainerinstance'}}",
    f"all{{resource.type=\"computecontainerinstance\",INSTANCE.Compartment.ID = '{C1}'}}",
    f"  All {{ resource.type = 'computecontainerinstance' ,\n instance.compartment.id='{C1}' }}  ",
    f"ALL {{instance.compartment.id = '{C1}', resource.type = 'computecontainerinstance', "
    f"instance.compartment.id = '{C1}'}}",
])
def test_matching_rules_equal_in_meaning(variant):
    assert canonical_matching_rule(variant) == canonical_matching_rule(
        f"ALL {{instance.compartment.id = '{C1}', resource.type = 'computecontainerinstance'}}")


def test_one_clause_needs_no_all_and_nesting_is_sorted_inside():
    assert canonical_matching_rule(f"ANY {{instance.compartment.id = '{C1}'}}") == canonical_matching_rule(
        f"instance.compartment.id='{C1}'")
    assert canonical_matching_rule(f"ANY {{ALL {{instance.id = 'b', instance.id = 'a'}}, resource.id = 'c'}}") == (
        canonical_matching_rule(f"any {{resource.id = 'c', all {{instance.id = 'a', instance.id = 'b'}}}}"))


@pytest.mark.parametrize(("one", "other"), [
    (f"ALL {{instance.compartment.id = '{C1}'}}", f"ALL {{instance.compartment.id = '{C2}'}}"),
    (f"ALL {{instance.compartment.id = '{C1}', instance.id = 'x'}}",
     f"ANY {{instance.compartment.id = '{C1}', instance.id = 'x'}}"),
    ("resource.type = 'computecontainerinstance'", "resource.type != 'computecontainerinstance'"),
    ("resource.type = 'ComputeContainerInstance'", "resource.type = 'computecontainerinstance'"),
])
def test_matching_rules_that_differ(one, other):
    assert canonical_matching_rule(one) != canonical_matching_rule(other)


def test_text_that_does_not_parse_is_compared_by_its_words():
    assert canonical_matching_rule("tag.ops.team.value   ") == canonical_matching_rule("TAG.ops.team.value")
    assert canonical_matching_rule("ALL {instance.id = 'a'") != canonical_matching_rule("ALL {instance.id = 'b'")


def test_statements_equal_in_meaning():
    wanted = ["allow dynamic-group mlflow-dg to read secret-bundles in compartment mlflow",
              "allow dynamic-group mlflow-dg to manage objects in compartment mlflow where target.bucket.name = 'art'"]
    current = ['Allow dynamic-group MLflow-DG to manage objects in compartment mlflow where target.bucket.name="art"',
               "ALLOW  dynamic-group mlflow-dg\n to READ secret-bundles IN compartment Mlflow"]

    assert same_statements(current, wanted)
    assert same_statements(wanted + wanted[:1], wanted), "a repeated statement adds nothing"


@pytest.mark.parametrize(("one", "other"), [
    ("allow dynamic-group a, dynamic-group b to read buckets in tenancy",
     "allow dynamic-group b, a to read buckets in tenancy"),
    ("allow dynamic-group a to manage objects in tenancy where all {target.bucket.name = 'x', "
     "request.permission = 'OBJECT_READ'}",
     "allow dynamic-group a to manage objects in tenancy where ALL {request.permission='OBJECT_READ', "
     "target.bucket.name='x'}"),
    (f"allow dynamic-group id {C1} to read repos in compartment id {C2}",
     f"Allow dynamic-group ID {C1} to read repos in compartment ID {C2}"),
])
def test_statement_details_that_do_not_count(one, other):
    assert canonical_statement(one) == canonical_statement(other)


@pytest.mark.parametrize(("one", "other"), [
    ("allow dynamic-group a to read buckets in tenancy", "allow dynamic-group a to use buckets in tenancy"),
    ("allow dynamic-group a to read buckets in tenancy", "allow dynamic-group b to read buckets in tenancy"),
    ("allow dynamic-group a to read buckets in tenancy", "allow group a to read buckets in tenancy"),
    ("allow dynamic-group a to read buckets in compartment x", "allow dynamic-group a to read buckets in compartment y"),
    ("allow dynamic-group a to manage objects in tenancy where target.bucket.name = 'x'",
     "allow dynamic-group a to manage objects in tenancy where target.bucket.name = 'y'"),
    ("allow dynamic-group a to manage objects in tenancy where target.bucket.name = 'x'",
     "allow dynamic-group a to manage objects in tenancy"),
    ("allow dynamic-group a to manage objects in tenancy where any {target.bucket.name = 'x', target.bucket.name = 'y'}",
     "allow dynamic-group a to manage objects in tenancy where all {target.bucket.name = 'x', target.bucket.name = 'y'}"),
])
def test_statements_that_differ(one, other):
    assert not same_statements([one], [other])


def test_a_statement_more_or_less_is_a_change():
    statements = ["allow dynamic-group a to read buckets in tenancy", "allow dynamic-group a to read repos in tenancy"]

    assert not same_statements(statements, statements[:1])
    assert not same_statements(statements[:1], statements)


def test_check_ocid():
    assert check_ocid(f" {C1} ", "compartment_id", ("compartment", "tenancy")) == C1
    cases = [("", "compartment_id is empty"), ("compartment", "'compartment' is not a well-formed OCID"),
             ("ocid1.compartment.oc1..AAAA", "is not a well-formed OCID"),
             ("ocid1.instance.oc1.iad.aaaa", "is the OCID of an instance: expected a compartment OCID")]
    for value, message in cases:
        with pytest.raises(OracleMlflowError) as failure:
            check_ocid(value, "compartment_id", ("compartment", "tenancy"))
        assert failure.value.kind == "invalid" and message in failure.value.message, failure.value.message
    with pytest.raises(OracleMlflowError, match="is the OCID of a compartment: expected a tenancy OCID"):
        check_ocid(C1, "compartment_id", ("tenancy",))
