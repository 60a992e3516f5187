from rest_framework.routers import SimpleRouter

from finance.api.views import AccountViewSet, TransactionViewSet

router = SimpleRouter()
router.register("accounts", AccountViewSet, basename="account")
router.register("transactions", TransactionViewSet, basename="transaction")

urlpatterns = router.urls
