// placeholder: Leaflet replaces this file at merge
