from tests.factories.accounts import UserFactory, grant, staff_person, totp_code, with_two_factor

__all__ = ["UserFactory", "grant", "staff_person", "totp_code", "with_two_factor"]
