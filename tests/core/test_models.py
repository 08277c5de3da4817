from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from tests.factories import VariantFactory


def test_price_from_table(db):
    variant = VariantFactory(price_input_per_mtok=Decimal("0.5"), price_output_per_mtok=Decimal("1.5"))
    assert variant.price_for(1_000_000, 2_000_000) == Decimal("3.5")
    assert variant.price_for(1000, 0) == Decimal("0.0005")


def test_improvement_kind_and_compute(db):
    assert VariantFactory(post_training="dpo").improvement_kind == "post-training"
    sc = VariantFactory(test_time_strategy="self_consistency", samples_n=16)
    assert sc.improvement_kind == "test-time compute"
    assert sc.compute_multiplier == 16.0
    assert VariantFactory(uses_retrieval=True).improvement_kind == "retrieval/tools"
    assert VariantFactory(parameter_count=70_000_000_000).improvement_kind == "pretraining scale"


def test_constraints_name_the_problem(db):
    variant = VariantFactory.build(test_time_strategy="reasoning", reasoning_budget_tokens=None)
    with pytest.raises(ValidationError) as excinfo:
        variant.full_clean()
    assert "reasoning_budget_tokens" in str(excinfo.value)
    bad_env = VariantFactory.build(endpoint_api_key_env="sk-live-secret")
    with pytest.raises(ValidationError) as excinfo:
        bad_env.full_clean()
    assert "endpoint_api_key_env" in excinfo.value.message_dict
