from django.views.generic import DetailView, ListView

from .models import Product


class ProductListView(ListView):
    paginate_by = 24
    template_name = "products/product_list.html"

    def get_queryset(self):
        return Product.objects.visible().for_listing()


class CategoryProductListView(ProductListView):
    pass


class ProductDetailView(DetailView):
    def get_queryset(self):
        return Product.objects.visible().for_listing()
