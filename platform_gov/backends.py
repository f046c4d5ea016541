"""A person's permissions in one query, for every page that asks.

Django's ``ModelBackend`` reads a user's permissions with two queries (those given to the
person, those of their groups) the first time a request asks, and keeps them on the user
object (``_perm_cache``). The navigation asks on every page. This backend, listed just before
``ModelBackend``, reads both in one query and keeps them where ``ModelBackend`` looks, so that
backend answers from them without asking again. It signs no one in: sign-in and the session's
user stay ``ModelBackend``'s, so nobody's session changes.
"""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.db.models import Q


class PermissionsInOneQuery:
    """Not a ``BaseBackend``: without ``get_user`` it is never the backend a session (or a
    test's ``force_login``) names, and without ``has_module_perms`` the admin asks
    ``ModelBackend``, which answers from what this one read."""

    def authenticate(self, request, **credentials):
        return None

    def has_perm(self, user_obj, perm: str, obj=None) -> bool:
        return user_obj.is_active and perm in self.get_all_permissions(user_obj, obj)

    def get_all_permissions(self, user_obj, obj=None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):  # where ModelBackend keeps them
            if user_obj.is_superuser:
                found = Permission.objects.all()
            else:
                user_model = type(user_obj)
                own = user_model.user_permissions.through.objects.filter(user_id=user_obj.pk)
                groups = user_model.groups.through.objects.filter(user_id=user_obj.pk)
                found = Permission.objects.filter(
                    Q(pk__in=own.values("permission_id")) | Q(group__in=groups.values("group_id"))
                )
            user_obj._perm_cache = {
                f"{app_label}.{codename}"
                for app_label, codename in found.values_list(
                    "content_type__app_label", "codename"
                ).order_by()
            }
        return user_obj._perm_cache
