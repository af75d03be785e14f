from odoo.http import request

from odoo.addons.portal.controllers.portal import pager as portal_pager


def desk_portal_count(model_name, domain, counters, key):
    """The home-page counter ``key`` of the portal user's readable ``model_name`` records."""
    if key not in counters:
        return {}
    Model = request.env[model_name]
    return {key: Model.search_count(domain, limit=1) if Model.has_access("read") else 0}


def desk_portal_list(
    controller, model_name, domain, url, page, template, values_key, page_name
):
    """A paged list of the portal user's ``model_name`` records (their record rules keep it
    to their own), rendered with ``template``; the user's home without read access."""
    Model = request.env[model_name]
    if not Model.has_access("read"):
        return request.redirect("/my")
    pager = portal_pager(
        url=url,
        total=Model.search_count(domain),
        page=page,
        step=controller._items_per_page,
    )
    records = Model.search(
        domain, limit=controller._items_per_page, offset=pager["offset"]
    )
    values = controller._prepare_portal_layout_values()
    values.update(
        {
            values_key: records,
            "pager": pager,
            "page_name": values_key[:-1],
            "default_url": url,
        }
    )
    return request.render(template, values)


def desk_use_customer_tz(partner, company=None):
    """Render the rest of the request (the page, its PDF) in the time zone of ``partner``,
    the customer of the documents shown: theirs, their company's, the seller company's,
    else the browser's or Odoo's own (see ``res.partner._desk_tz``). Odoo's own dates on
    the page (order date, deliveries) follow too, so the page tells one time."""
    # sudo: only the time zone of the customer of a document the caller may read.
    tz = partner.sudo()._desk_tz(company=company, default=request.cookies.get("tz"))
    request.update_context(tz=tz)
    return tz
