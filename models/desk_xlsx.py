import xlsxwriter

# Text from the books, the orders or a customer (a reference, a name, a rule) is text in the
# desk's workbooks, whatever it starts with: never a formula ("=HYPERLINK(...)" typed as
# an invoice reference would run in the reader's spreadsheet), a link or a number.
WORKBOOK_OPTIONS = {
    "in_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


def desk_workbook(output):
    """An XLSX workbook writing into ``output`` (a file object) in which ``write()`` of any
    text writes it as text. The desk's exports write their text cells with
    ``write_string`` as well."""
    return xlsxwriter.Workbook(output, WORKBOOK_OPTIONS)
