from bot.cli import main

# Guarded: a worker process (the charts' pool, spawned) imports this module again as
# ``__mp_main__`` and must not run the command a second time.
if __name__ == "__main__":
    main()
