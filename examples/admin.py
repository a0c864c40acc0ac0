"""Simple admins for the example data types, so builders can see what workflows change."""

from __future__ import annotations

from django.contrib import admin

from .models import Customer, Order, Profile, Setting, VerificationCode


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("name", "email", "user", "created_at")
    list_select_related = ("user",)
    search_fields = ("name", "email")
    raw_id_fields = ("user",)


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("id", "customer", "total", "status", "created_at", "paid_at")
    list_filter = ("status",)
    list_select_related = ("customer",)
    search_fields = ("=id", "customer__name", "customer__email")
    raw_id_fields = ("customer",)


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "birthday")
    list_select_related = ("user",)
    search_fields = ("user__username", "user__email")
    raw_id_fields = ("user",)


@admin.register(VerificationCode)
class VerificationCodeAdmin(admin.ModelAdmin):
    list_display = ("destination", "attempts", "verified", "created_at")
    list_filter = ("verified",)
    search_fields = ("destination",)


@admin.register(Setting)
class SettingAdmin(admin.ModelAdmin):
    list_display = ("name", "should_run")
    list_editable = ("should_run",)
