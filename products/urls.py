from django.urls import path

from . import views

app_name = "products"

urlpatterns = [
    path("products/", views.ProductListView.as_view(), name="list"),
    path("products/<slug:slug>/", views.ProductDetailView.as_view(), name="detail"),
    path("categories/<slug:slug>/", views.CategoryProductListView.as_view(), name="category"),
]
