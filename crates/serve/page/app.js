// placeholder: the real page replaces this file at merge
