"""The lazy user of a token: its id for free, anything else for one query."""

import pytest
from django.contrib.auth import get_user_model

from accounts.models import User
from jwt_sessions.authentication import TokenUser
from jwt_sessions.models import Session
from shop.models import Cart


@pytest.fixture
def token_user(user):
    return TokenUser(user.pk)


def test_its_id_and_that_it_is_logged_in_cost_no_query(
    token_user, user, django_assert_num_queries
):
    with django_assert_num_queries(0):
        assert token_user.pk == token_user.id == user.pk
        assert token_user.is_authenticated and token_user.is_active
        assert not token_user.is_anonymous
        assert token_user


def test_it_does_not_pretend_to_be_a_user_until_it_is_one(
    token_user, user, django_assert_num_queries
):
    # isinstance() is what the ORM asks of a model instance: answering it
    # loads the row, so what follows is the real user's answer.
    with django_assert_num_queries(1):
        assert isinstance(token_user, User)
        assert token_user.email == user.email
    assert type(token_user) is TokenUser
    assert get_user_model()._meta is User._meta


def test_a_call_site_that_passes_the_object_costs_a_query_not_a_wrong_answer(
    token_user, user, other_user, django_assert_num_queries
):
    Cart.objects.create(user=user)
    Cart.objects.create(user=other_user)

    with django_assert_num_queries(2):  # the user row, then the carts
        by_object = list(Cart.objects.filter(user=token_user))
    with django_assert_num_queries(1):
        by_id = list(Cart.objects.filter(user_id=TokenUser(user.pk).pk))

    assert by_object == by_id == [Cart.objects.get(user=user)]
    assert Session.objects.filter(user=TokenUser(other_user.pk)).count() == 0
