from django.urls import path
from rest_framework.routers import SimpleRouter

from finance.api.cards import CardViewSet
from finance.api.rules import RuleViewSet
from finance.api.spending import SpendingView
from finance.api.views import AccountViewSet, CategoriesView, TransactionViewSet

router = SimpleRouter()
router.register("accounts", AccountViewSet, basename="account")
router.register("transactions", TransactionViewSet, basename="transaction")
router.register("rules", RuleViewSet, basename="rule")
router.register("cards", CardViewSet, basename="card")

urlpatterns = [
    path("categories/", CategoriesView.as_view(), name="categories"),
    path("spending/", SpendingView.as_view(), name="spending"),
    *router.urls,
]
