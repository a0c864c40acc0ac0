"""Sample data types the example workflows use; real projects bring their own models."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from workflows.bubble_fields import BubbleThing, ListField


class Customer(models.Model):
    name = models.CharField(max_length=200)
    email = models.EmailField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="customers",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    """Something a shop sells; an order holds a list of them (Bubble's "list of things")."""

    name = models.CharField(max_length=200)
    price = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Order(models.Model):
    class Status(models.TextChoices):
        NEW = "new", "New"
        PAID = "paid", "Paid"
        SHIPPED = "shipped", "Shipped"
        CANCELLED = "cancelled", "Cancelled"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="orders")
    total = models.DecimalField(max_digits=10, decimal_places=2)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    review_requested_at = models.DateTimeField(null=True, blank=True)
    products = models.ManyToManyField(Product, blank=True, related_name="orders")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Order #{self.pk}"


class Review(BubbleThing):
    """A review of a product, with Bubble's built-in fields (``BubbleThing``): its author is
    its ``Created By``, whoever creates it — through the Data API, a workflow or the admin."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="reviews")
    rating = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)], help_text="1 to 5 stars."
    )
    text = models.TextField(blank=True)
    tags = ListField(of="text", help_text="Bubble's list of texts.")

    class Meta:
        ordering = ["-created_date"]

    def __str__(self) -> str:
        return f"{self.rating}★ for {self.product}"


class Profile(models.Model):
    """Bubble's User with extra fields: here a birthday, for the birthday email example."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    birthday = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Profile of {self.user}"


class VerificationCode(models.Model):
    """A one-time code sent by ``verify_send`` and checked by ``verify_check``."""

    destination = models.CharField(max_length=254, help_text="Email address the code went to.")
    code = models.CharField(max_length=12)
    attempts = models.PositiveSmallIntegerField(default=0)
    verified = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["destination", "-created_at"], name="code_destination_idx")]

    def __str__(self) -> str:
        return f"code for {self.destination}"


class Setting(models.Model):
    """Bubble's "Settings" data type: named switches workflows read, e.g. the daily cleanup's
    ``should_run`` stop flag (turn it off in the admin and the recurring event idles)."""

    name = models.CharField(max_length=100, unique=True)
    should_run = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"{self.name} ({'on' if self.should_run else 'off'})"
