"""Simple admins for the example data types, so builders can see what workflows change.

They are django-guardian admins: a thing's page has an "Object permissions" button where a
user or group can be given view / change / delete on that one thing, which privacy rules
count as a grant (see docs/privacy.md).
"""

from __future__ import annotations

from django.contrib import admin
from guardian.admin import ReinforcedGuardedModelAdminMixin

from .models import Customer, Order, Product, Profile, Review, Setting, VerificationCode


class GuardedModelAdmin(ReinforcedGuardedModelAdminMixin, admin.ModelAdmin):
    """guardian's object-permission pages, open to who holds guardian's own permissions
    (a grant is access through the Data API, so changing a thing is not enough)."""

    change_form_template = "admin/guardian/model/change_form.html"


@admin.register(Customer)
class CustomerAdmin(GuardedModelAdmin):
    list_display = ("name", "email", "user", "created_at")
    list_select_related = ("user",)
    search_fields = ("name", "email")
    raw_id_fields = ("user",)


@admin.register(Order)
class OrderAdmin(GuardedModelAdmin):
    list_display = ("id", "customer", "total", "status", "created_at", "paid_at")
    list_filter = ("status",)
    list_select_related = ("customer",)
    search_fields = ("=id", "customer__name", "customer__email")
    raw_id_fields = ("customer",)
    filter_horizontal = ("products",)


@admin.register(Product)
class ProductAdmin(GuardedModelAdmin):
    list_display = ("name", "price")
    search_fields = ("name",)


@admin.register(Review)
class ReviewAdmin(GuardedModelAdmin):
    list_display = ("product", "rating", "created_by", "created_date", "modified_date")
    list_filter = ("rating",)
    list_select_related = ("product", "created_by")
    search_fields = ("text", "product__name")
    raw_id_fields = ("product",)
    # Bubble's built-in fields: set by the save, never edited
    readonly_fields = ("unique_id", "created_by", "created_date", "modified_date")


@admin.register(Profile)
class ProfileAdmin(GuardedModelAdmin):
    list_display = ("user", "birthday")
    list_select_related = ("user",)
    search_fields = ("user__username", "user__email")
    raw_id_fields = ("user",)


@admin.register(VerificationCode)
class VerificationCodeAdmin(GuardedModelAdmin):
    list_display = ("destination", "attempts", "verified", "created_at")
    list_filter = ("verified",)
    search_fields = ("destination",)


@admin.register(Setting)
class SettingAdmin(GuardedModelAdmin):
    list_display = ("name", "should_run")
    list_editable = ("should_run",)
