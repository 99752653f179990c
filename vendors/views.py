from django.views.generic import DetailView, ListView

from .models import Vendor


class VendorListView(ListView):
    paginate_by = 24

    def get_queryset(self):
        return Vendor.objects.active().select_related("district")


class VendorDetailView(DetailView):
    def get_queryset(self):
        return Vendor.objects.active().select_related("district")
