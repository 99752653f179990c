"""``manage.py create_account``: a staff account in the right group, or a
clear error and nothing written."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from tests.factories import UserFactory, VendorFactory
from vendors.accounts import create_account
from vendors.roles import CURATOR_GROUP, VENDOR_GROUP, is_curator

pytestmark = pytest.mark.django_db


User = get_user_model()
GOOD_PASSWORD = "Amplang-Belida-77"


class FakeTerminal:
    def isatty(self):
        return True


class NoTerminal:
    def isatty(self):
        return False


@pytest.fixture
def vendor():
    return VendorFactory(name="Amplang Bu Ani", slug="amplang-bu-ani")


@pytest.fixture
def password_env(monkeypatch):
    monkeypatch.setenv("ACCOUNT_PASSWORD", GOOD_PASSWORD)


@pytest.fixture
def no_password_env(monkeypatch):
    monkeypatch.delenv("ACCOUNT_PASSWORD", raising=False)


def run(*args, **options):
    out = []

    class Out:
        def write(self, text):
            out.append(text)

        def flush(self):
            pass

    call_command("create_account", *args, stdout=Out(), **options)
    return "".join(out)


def test_creates_a_vendor_account_linked_to_its_vendor(password_env, vendor):
    output = run("buani", "--role", "vendor", "--vendor", "amplang-bu-ani", "--email", "ani@example.com")

    user = User.objects.get(username="buani")
    assert user.is_staff and user.is_active and not user.is_superuser
    assert user.email == "ani@example.com"
    assert list(user.groups.values_list("name", flat=True)) == [VENDOR_GROUP]
    assert list(user.vendors.all()) == [vendor]
    assert user.check_password(GOOD_PASSWORD)
    assert user.has_perm("products.add_product")
    assert not is_curator(user)
    assert "buani" in output and "Amplang Bu Ani" in output


def test_creates_a_curator_account(password_env):
    output = run("petugas", "--role", "curator")

    user = User.objects.get(username="petugas")
    assert user.is_staff
    assert list(user.groups.values_list("name", flat=True)) == [CURATOR_GROUP]
    assert not user.vendors.exists()
    assert is_curator(user)
    assert "petugas" in output


def test_unknown_vendor_is_refused(password_env, vendor):
    with pytest.raises(CommandError, match="tidak-ada"):
        run("buani", "--role", "vendor", "--vendor", "tidak-ada")

    assert not User.objects.exists()


def test_vendor_role_needs_a_vendor(password_env):
    with pytest.raises(CommandError, match="--vendor"):
        run("buani", "--role", "vendor")

    assert not User.objects.exists()


def test_curator_with_a_vendor_is_refused(password_env, vendor):
    with pytest.raises(CommandError, match="--vendor"):
        run("petugas", "--role", "curator", "--vendor", "amplang-bu-ani")

    assert not User.objects.exists()


def test_unknown_role_is_refused(password_env):
    with pytest.raises(CommandError, match="admin"):
        run("bos", "--role", "admin")

    assert not User.objects.exists()


@pytest.mark.parametrize("weak", ["12345678", "password", "abc", "buani2024"])
def test_weak_password_is_refused(monkeypatch, vendor, weak):
    monkeypatch.setenv("ACCOUNT_PASSWORD", weak)

    with pytest.raises(CommandError):
        run("buani", "--role", "vendor", "--vendor", "amplang-bu-ani")

    assert not User.objects.exists()
    assert not vendor.users.exists()


def test_existing_username_is_refused(password_env, vendor):
    existing = UserFactory(username="buani", is_staff=False)

    with pytest.raises(CommandError, match="(?i)buani.*sudah dipakai"):
        run("BuAni", "--role", "vendor", "--vendor", "amplang-bu-ani")

    assert User.objects.count() == 1
    existing.refresh_from_db()
    assert not existing.is_staff
    assert not existing.groups.exists()


def test_invalid_username_is_refused(password_env):
    with pytest.raises(CommandError):
        run("bu ani!", "--role", "curator")

    assert not User.objects.exists()


def test_password_is_asked_twice_in_a_terminal(no_password_env, monkeypatch, vendor):
    answers = iter([GOOD_PASSWORD, GOOD_PASSWORD])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))

    run("buani", "--role", "vendor", "--vendor", "amplang-bu-ani", stdin=FakeTerminal())

    assert User.objects.get(username="buani").check_password(GOOD_PASSWORD)


def test_mismatched_passwords_are_refused(no_password_env, monkeypatch):
    answers = iter([GOOD_PASSWORD, GOOD_PASSWORD + "x"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))

    with pytest.raises(CommandError, match="tidak sama"):
        run("petugas", "--role", "curator", stdin=FakeTerminal())

    assert not User.objects.exists()


def test_no_password_without_a_terminal_is_refused(no_password_env):
    with pytest.raises(CommandError, match="ACCOUNT_PASSWORD"):
        run("petugas", "--role", "curator", stdin=NoTerminal())

    assert not User.objects.exists()


def test_bad_input_is_checked_before_the_password_prompt(no_password_env, monkeypatch):
    def prompt(prompt=""):
        raise AssertionError("asked for a password")

    monkeypatch.setattr("getpass.getpass", prompt)

    with pytest.raises(CommandError, match="tidak-ada"):
        run("buani", "--role", "vendor", "--vendor", "tidak-ada", stdin=FakeTerminal())


def test_create_account_reports_every_problem(vendor):
    UserFactory(username="buani")

    with pytest.raises(ValidationError) as error:
        create_account(username="buani", role="bos", password=GOOD_PASSWORD)

    assert len(error.value.messages) == 2


def test_help_names_the_password_variable():
    from vendors.management.commands.create_account import Command

    assert "ACCOUNT_PASSWORD" in Command().create_parser("manage.py", "create_account").format_help()
