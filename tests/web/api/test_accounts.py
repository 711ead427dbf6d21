"""Billing accounts, billing profiles and invoice sections in Microsoft.Billing's shape, as far as each
demo user may see, checked against the database."""

from __future__ import annotations

from settle import demo
from settle.uow import UnitOfWork
from tests.web.api.conftest import ACCOUNTS, ADMIN, CONTOSO, CONTOSO_BILLING, FABRIKAM_ADMIN, INVOICES, READER, Api


def test_billing_accounts_list_only_the_accounts_the_user_holds_a_role_in(api: Api) -> None:
    for user, expected in [(ADMIN, [demo.CONTOSO]), (READER, [demo.CONTOSO]), (FABRIKAM_ADMIN, [demo.FABRIKAM])]:
        response = api.get(ACCOUNTS, user=user)
        assert response.status_code == 200
        assert [account["name"] for account in response.json()["value"]] == expected


def test_a_billing_account_has_azure_s_id_type_and_properties(api: Api) -> None:
    body = api.get(CONTOSO).json()
    with UnitOfWork(api.engine, write=False) as uow:
        account = uow.accounts.get(demo.CONTOSO)
    assert body["id"] == f"/providers/Microsoft.Billing/billingAccounts/{account.id}"
    assert (body["name"], body["type"]) == (account.id, "Microsoft.Billing/billingAccounts")
    assert body["properties"] == {
        "displayName": account.display_name,
        "agreementType": "MicrosoftCustomerAgreement",
        "accountStatus": "Active",
        "hasReadAccess": True,
        "soldTo": {
            "companyName": account.sold_to.company,
            "addressLine1": account.sold_to.line1,
            "city": account.sold_to.city,
            "postalCode": account.sold_to.postal_code,
            "country": account.sold_to.country,
        },
    }


def test_billing_profiles_of_an_account_are_listed_with_their_currency_and_bill_to(api: Api) -> None:
    body = api.get(f"{CONTOSO}/billingProfiles", user=READER).json()
    with UnitOfWork(api.engine, write=False) as uow:
        profiles = {profile.id: profile for profile in uow.profiles.list_for_account(demo.CONTOSO)}
    assert [item["name"] for item in body["value"]] == list(profiles)
    for item in body["value"]:
        profile = profiles[item["name"]]
        assert item["id"] == f"{CONTOSO}/billingProfiles/{profile.id}"
        assert item["type"] == "Microsoft.Billing/billingAccounts/billingProfiles"
        properties = item["properties"]
        assert (properties["displayName"], properties["currency"]) == (profile.display_name, profile.currency)
        assert properties["billTo"]["addressLine1"] == profile.bill_to.line1
        assert properties["invoiceRecipients"] == [profile.invoice_email]
        assert properties["currentPaymentTerm"] == {"term": f"P{profile.payment_terms_days}D", "isDefault": True}


def test_an_invoice_manager_of_one_profile_sees_only_that_profile(api: Api) -> None:
    body = api.get(f"{CONTOSO}/billingProfiles", user=INVOICES).json()
    assert [item["name"] for item in body["value"]] == [demo.CONTOSO_BILLING]
    assert api.get(f"{CONTOSO}/billingProfiles/{demo.CONTOSO_RND}", user=INVOICES).status_code == 404
    assert api.get(CONTOSO_BILLING, user=INVOICES).json()["properties"]["currency"] == "EUR"


def test_invoice_sections_of_a_profile_are_listed_and_got(api: Api) -> None:
    body = api.get(f"{CONTOSO_BILLING}/invoiceSections").json()
    with UnitOfWork(api.engine, write=False) as uow:
        sections = uow.sections.list_for_profile(demo.CONTOSO_BILLING)
    assert [(item["name"], item["properties"]["displayName"]) for item in body["value"]] == [
        (section.id, section.display_name) for section in sections
    ]
    one = api.get(f"{CONTOSO_BILLING}/invoiceSections/{sections[0].id}").json()
    assert one["id"] == f"{CONTOSO_BILLING}/invoiceSections/{sections[0].id}"
    assert one["type"] == "Microsoft.Billing/billingAccounts/billingProfiles/invoiceSections"


def test_a_profile_or_section_is_404_under_the_wrong_parent(api: Api) -> None:
    fabrikam_profile = f"{CONTOSO}/billingProfiles/{demo.FABRIKAM_BILLING}"
    assert api.get(fabrikam_profile, user=FABRIKAM_ADMIN).json()["error"]["code"] == "BillingAccountNotFound"
    assert api.get(fabrikam_profile).json()["error"]["code"] == "BillingProfileNotFound"
    rnd_section = f"{CONTOSO_BILLING}/invoiceSections/CNTS-LABS-SEC-003"
    assert api.get(rnd_section).json()["error"]["code"] == "InvoiceSectionNotFound"
