"""Profiles: limits, validation, kids rules and isolation between accounts."""

from __future__ import annotations

from collections.abc import Callable

from tests.helpers.api import Api

UPDATE = "mutation($id: ID!, $input: UpdateProfileInput!) { updateProfile(id: $id, input: $input) { id name isKids maturityLevel } }"  # noqa: E501
DELETE = "mutation($id: ID!) { deleteProfile(id: $id) }"
SELECT = "mutation($id: ID!) { selectProfile(id: $id) { id } }"
READ = "query($id: ID!) { profile(id: $id) { id name } }"
PROFILES = "{ me { profiles { id name isKids maturityLevel language } activeProfile { id } } }"


def test_defaults_adult_four_and_kids_two(api: Api) -> None:
    api.register("ada@example.com")
    api.create_profile("Ada")
    api.create_profile("Little Ada", isKids=True)
    profiles = api.data(PROFILES)["me"]["profiles"]
    assert [(p["name"], p["isKids"], p["maturityLevel"]) for p in profiles] == [
        ("Ada", False, 4),
        ("Little Ada", True, 2),
    ]


def test_kids_profiles_are_capped_at_two(api: Api) -> None:
    api.register("ada@example.com")
    body = api.gql(
        'mutation { createProfile(input: {name: "Kid", isKids: true, maturityLevel: 4}) { id } }'
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    adult = api.create_profile("Grown", maturityLevel=5)
    changed = api.data(UPDATE, id=adult, input={"isKids": True})["updateProfile"]
    assert (changed["isKids"], changed["maturityLevel"]) == (True, 2)
    assert api.data(PROFILES)["me"]["profiles"][0]["name"] == "Grown"


def test_at_most_five_profiles(api: Api) -> None:
    api.register("ada@example.com")
    for i in range(5):
        api.create_profile(f"P{i}")
    code = api.error_code('mutation { createProfile(input: {name: "P5"}) { id } }')
    assert code == "CONFLICT"
    assert len(api.data(PROFILES)["me"]["profiles"]) == 5


def test_names_are_unique_within_an_account(api: Api) -> None:
    api.register("ada@example.com")
    first = api.create_profile("Ada")
    api.create_profile("Bob")
    assert api.error_code('mutation { createProfile(input: {name: "ADA"}) { id } }') == "CONFLICT"
    body = api.gql(UPDATE, id=first, input={"name": "bob"})
    assert body["errors"][0]["extensions"]["code"] == "CONFLICT"
    names = [p["name"] for p in api.data(PROFILES)["me"]["profiles"]]
    assert names == ["Ada", "Bob"]


def test_bad_profile_input_changes_nothing(api: Api) -> None:
    api.register("ada@example.com")
    profile = api.create_profile("Ada")
    for bad in ({"name": "  "}, {"maturityLevel": 9}, {"avatarUrl": "javascript:alert(1)"}, {}):
        body = api.gql(UPDATE, id=profile, input=bad)
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", bad
    assert api.data(PROFILES)["me"]["profiles"][0]["maturityLevel"] == 4
    assert api.error_code(SELECT, id="not-a-uuid") == "BAD_USER_INPUT"


def test_select_makes_the_profile_active_and_delete_clears_it(api: Api) -> None:
    api.register("ada@example.com")
    profile = api.create_profile("Ada")
    api.select_profile(profile)
    me = api.data("{ me { activeProfile { id } roles } }")["me"]
    assert me == {"activeProfile": {"id": profile}, "roles": ["account_owner", "viewer"]}
    assert api.data(DELETE, id=profile) == {"deleteProfile": True}
    assert api.data("{ me { activeProfile { id } } }")["me"]["activeProfile"] is None


def test_kids_profile_cannot_manage_profiles(api: Api) -> None:
    api.register("ada@example.com")
    adult = api.create_profile("Ada")
    kid = api.create_profile("Kid", isKids=True)
    api.select_profile(kid)
    assert api.data("{ me { roles } }")["me"]["roles"] == ["kids_viewer"]
    assert api.error_code('mutation { createProfile(input: {name: "New"}) { id } }') == "FORBIDDEN"
    assert api.error_code(UPDATE, id=kid, input={"maturityLevel": 1}) == "FORBIDDEN"
    assert api.error_code(DELETE, id=adult) == "FORBIDDEN"
    api.select_profile(adult)  # switching back out of the kids profile is allowed
    assert len(api.data(PROFILES)["me"]["profiles"]) == 2


def test_another_accounts_profile_is_not_found_for_every_operation(
    make_api: Callable[..., Api],
) -> None:
    owner, stranger = make_api(), make_api()
    owner.register("owner@example.com")
    theirs = owner.create_profile("Owner")
    stranger.register("stranger@example.com")
    assert stranger.error_code(READ, id=theirs) == "NOT_FOUND"
    assert stranger.error_code(UPDATE, id=theirs, input={"name": "Mine"}) == "NOT_FOUND"
    assert stranger.error_code(DELETE, id=theirs) == "NOT_FOUND"
    assert stranger.error_code(SELECT, id=theirs) == "NOT_FOUND"
    assert owner.data(READ, id=theirs) == {"profile": {"id": theirs, "name": "Owner"}}


def test_profile_mutations_need_sign_in(api: Api) -> None:
    assert api.error_code('mutation { createProfile(input: {name: "X"}) { id } }') == (
        "UNAUTHENTICATED"
    )
