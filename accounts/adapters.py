from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """Program policy for allauth.

    Vernissage is invitation-only: people join a cohort through an invitation
    link, never through open sign-up, so a leaked sign-up URL admits nobody.
    """

    def is_open_for_signup(self, request):
        return False
