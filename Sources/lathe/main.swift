import LatheCore
print("lathe")
