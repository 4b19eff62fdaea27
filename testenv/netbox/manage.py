#!/usr/bin/env python3
"""Django entry point of the NetBox stand-in used by hhgate's tests.

Run it with Debian's interpreter (/usr/bin/python3), which is the one that can
import the python3-django / python3-djangorestframework packages.
"""
import os
import sys


def main():
    os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'standin.settings')
    from django.core.management import execute_from_command_line
    execute_from_command_line(sys.argv)


if __name__ == '__main__':
    main()
